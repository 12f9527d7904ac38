"""Use cases of lead reviewers (主审): the office names one or two of a meeting's drawn experts for a
dossier; each writes a 主审意见 that the other experts read before voting. Attributed, not secret: the
opinions are part of the meeting's record (the meeting view, the expert's meeting, the room).

A lead writes while the meeting is drawn or open, until they have voted on that dossier (editable
until then). Writing an opinion takes the dossier's row lock in the meeting, as a cast ballot does
(cases/ballots.py), so an opinion never changes after its writer's ballot is in.
"""
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from shared.roles import EXPERT

from .. import meeting_store
from ..committee_tables import ballot_receipts, committee_experts, meeting_dossiers, meeting_leads, meetings
from ..context import Clock
from ..domain.ballots import DRAWN, OPEN
from ..domain.scoping import require_role
from ..exceptions import InvalidReviewCommandError, MeetingStateError, ReviewNotAllowedError

MAX_LEADS = 2


def lead_rows(connection, meeting_ids):
    """The leads of *meeting_ids* with their names (from the committee's pool, kept after they leave it):
    ``[{meeting_id, dossier_id, expert_id, name, unit_name, named_at, opinion, opinion_at}]`` in naming order.
    Also what the meeting record reads (its ``leads``)."""
    ids = [str(meeting_id) for meeting_id in meeting_ids]
    if not ids:
        return []
    rows = connection.execute(
        select(meeting_leads, committee_experts.c.name, committee_experts.c.unit_name)
        .select_from(meeting_leads.join(meetings, meetings.c.id == meeting_leads.c.meeting_id)
                     .outerjoin(committee_experts, (committee_experts.c.committee_id == meetings.c.committee_id)
                                & (committee_experts.c.expert_id == meeting_leads.c.expert_id)))
        .where(meeting_leads.c.meeting_id.in_(ids))
        .order_by(meeting_leads.c.meeting_id, meeting_leads.c.dossier_id, meeting_leads.c.named_at,
                  meeting_leads.c.expert_id)).mappings().all()
    return [{**dict(row), "name": row["name"] or "", "unit_name": row["unit_name"] or ""} for row in rows]


class LeadCases:
    """Lead reviewers of a meeting's dossiers; the meeting and its organisers come from meetings."""

    def __init__(self, engine, meetings, clock: Clock):
        """*meetings*: the MeetingCases whose ``organised``, ``get_meeting`` and committees these use."""
        self.engine, self.meetings, self.clock = engine, meetings, clock

    def name_leads(self, actor, meeting_id, request):
        """Name the dossier's one or two leads among the drawn experts who need not recuse from it
        (those recorded absent neither); the list replaces the one before, except a lead who already
        wrote their opinion, who stays on the record."""
        self.meetings.organised(actor, meeting_id, states=(DRAWN, OPEN), action="指定主审专家")
        dossier_id, chosen = str(request["dossier_id"]), list(dict.fromkeys(request["expert_ids"]))
        if not 1 <= len(chosen) <= MAX_LEADS:
            raise InvalidReviewCommandError(f"每件申报材料指定 1 至 {MAX_LEADS} 名主审专家",
                                            fields={"expert_ids": [f"应为 1 至 {MAX_LEADS} 人"]})
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="share")
            if data.state not in (DRAWN, OPEN):
                raise MeetingStateError("评审会议已结束,不能再指定主审专家")
            dossier = data.dossier(dossier_id)
            if dossier is None:
                raise InvalidReviewCommandError("该申报材料不在本次会议中", fields={"dossier_id": ["不在本次会议中"]})
            problems = self._unfit(data, dossier, chosen)
            if problems:
                raise InvalidReviewCommandError("不能指定为主审专家:" + ";".join(problems),
                                                fields={"expert_ids": problems})
            where = (meeting_leads.c.meeting_id == data.meeting["id"], meeting_leads.c.dossier_id == dossier_id)
            present = connection.execute(select(meeting_leads).where(*where).with_for_update()).mappings().all()
            written = [row["expert_id"] for row in present if row["opinion"] and row["expert_id"] not in chosen]
            if written:
                names = self._names(data)
                raise MeetingStateError("以下主审专家已提交主审意见,不能更换:" +
                                        "、".join(names.get(expert_id, "") for expert_id in written))
            connection.execute(delete(meeting_leads).where(*where, meeting_leads.c.expert_id.not_in(chosen)))
            now = self.clock.now()
            connection.execute(insert(meeting_leads).values([
                {"meeting_id": data.meeting["id"], "dossier_id": dossier_id, "expert_id": expert_id,
                 "named_by": actor.account_id, "named_at": now} for expert_id in chosen]).on_conflict_do_nothing())
        return self.meetings.get_meeting(actor, meeting_id)

    def write_lead_opinion(self, actor, meeting_id, request):
        """A lead's 主审意见 on their dossier, written or rewritten until they have voted on it."""
        require_role(actor, EXPERT, action="填写主审意见")
        meeting_id, dossier_id = str(meeting_id), str(request["dossier_id"])
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="share")
            dossier = data.dossier(dossier_id)
            if dossier is None:
                raise InvalidReviewCommandError("该申报材料不在本次会议中", fields={"dossier_id": ["不在本次会议中"]})
            lead = (meeting_leads.c.meeting_id == meeting_id, meeting_leads.c.dossier_id == dossier_id,
                    meeting_leads.c.expert_id == actor.account_id)
            if connection.execute(select(meeting_leads.c.expert_id).where(*lead)).first() is None:
                raise ReviewNotAllowedError("您不是该申报材料的主审专家")
            if data.state not in (DRAWN, OPEN):
                raise MeetingStateError("评审会议已结束,主审意见不能再修改")
            expert = data.expert(actor.account_id)
            recusal = data.recusal(expert, dossier) if expert else None
            if recusal:
                raise MeetingStateError(f"您须回避该申报材料({recusal}),不能再填写主审意见")
            # The dossier's row lock, as a cast ballot takes it: the receipt is either in (refused) or waits.
            connection.execute(select(meeting_dossiers.c.dossier_id).where(
                meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == dossier_id
            ).with_for_update())
            voted = connection.execute(select(ballot_receipts.c.id).where(
                ballot_receipts.c.meeting_id == meeting_id, ballot_receipts.c.dossier_id == dossier_id,
                ballot_receipts.c.expert_id == actor.account_id)).first() is not None
            if voted:
                raise MeetingStateError("您已对该申报材料投票,主审意见不能再修改")
            written_at = self.clock.now()
            connection.execute(meeting_leads.update().where(*lead)
                               .values(opinion=request["opinion"].strip(), opinion_at=written_at))
        return {"meeting_id": meeting_id, "dossier_id": dossier_id, "opinion": request["opinion"].strip(),
                "opinion_at": written_at.isoformat()}

    # -- helpers --------------------------------------------------------------------------

    def _unfit(self, data, dossier, chosen):
        """Why each of *chosen* cannot lead on *dossier*, one line each (all at once)."""
        names, problems = self._names(data), []
        for expert_id in chosen:
            expert = data.expert(expert_id)
            if expert is None:
                problems.append("所选人员不是本次会议抽取的专家")
                continue
            name = names.get(expert_id) or "该专家"
            recusal = data.recusal(expert, dossier)
            if recusal:
                problems.append(f"{name}须回避该申报材料({recusal})")
            elif data.meeting["attendance_recorded"] and not expert["attending"]:
                problems.append(f"{name}未出席本次会议")
        return problems

    def _names(self, data):
        return {expert["expert_id"]: expert["name"] for expert in self.meetings.committees.pool(data.meeting["committee_id"])}
