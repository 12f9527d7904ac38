"""Use cases of a meeting's experts: the random draw and its replay, conflicts, attendance, and the
expert's own view of the meetings they were drawn into."""
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared.idempotency import remember
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT

from .. import meeting_store
from ..committee_tables import WHOLE_MEETING, ballot_receipts, meeting_conflicts, meeting_experts, meetings
from ..context import Clock
from ..domain import ballots, draw as drawing
from ..domain.ballots import CLOSED, DRAWN, PLANNED
from ..domain.scoping import require_role
from ..exceptions import InvalidReviewCommandError, MeetingStateError, ReviewNotAllowedError
from ..meeting_views import lead_view
from .committees import CommitteeCases
from .leads import lead_rows
from .meetings import ORGANISERS, MeetingCases


class ExpertCases:
    """What happens to a meeting's experts; the meeting's organisers and pool come from meetings and
    committees."""

    def __init__(self, engine, meetings: MeetingCases, committees: CommitteeCases, clock: Clock):
        self.engine, self.meetings, self.committees, self.clock = engine, meetings, committees, clock

    # -- the draw -------------------------------------------------------------------------

    def draw_experts(self, actor, meeting_id, request):
        """Draw the meeting's experts at random with a recorded seed, leaving out experts in conflict."""
        self.meetings.organised(actor, meeting_id, states=(PLANNED,), action="抽取专家")
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="update")
            if data.state != PLANNED:
                raise MeetingStateError("该会议已抽取专家;抽取结果已记录,不能重抽")
            if not data.dossiers:
                # The experts are drawn for a fixed set of dossiers (the exclusions depend on them).
                raise MeetingStateError("请先分配申报材料,再抽取专家")
            for exclusion in request.get("exclusions") or []:
                connection.execute(insert(meeting_conflicts).values(
                    meeting_id=str(meeting_id), expert_id=exclusion["expert_id"], dossier_id=WHOLE_MEETING,
                    reason=exclusion["reason"], declared_by=actor.account_id).on_conflict_do_nothing())
                data.conflicts[(exclusion["expert_id"], WHOLE_MEETING)] = exclusion["reason"]
            pool = self.committees.pool(data.meeting["committee_id"])
            declared = {expert: reason for (expert, dossier), reason in data.conflicts.items()
                        if dossier == WHOLE_MEETING}
            excluded = drawing.exclusions(pool, declared=declared,
                                          applicant_ids=[d["applicant_id"] for d in data.dossiers],
                                          dossier_unit_ids=[d["unit_id"] for d in data.dossiers])
            candidates = drawing.candidates(pool, excluded)
            seed = drawing.new_seed()
            drawn = drawing.draw(seed, candidates, data.meeting["expert_count"])
            units = {expert["expert_id"]: expert["unit_id"] for expert in pool}
            record = {"seed": seed, "candidates": candidates, "count": data.meeting["expert_count"], "drawn": drawn,
                      "excluded": {expert: reason for expert, reason in sorted(excluded.items())},
                      "drawn_by": actor.account_id, "drawn_at": self.clock.now().isoformat()}
            connection.execute(update(meetings).where(meetings.c.id == str(meeting_id))
                               .values(draw=record, state=DRAWN))
            connection.execute(insert(meeting_experts).values([
                {"meeting_id": str(meeting_id), "expert_id": expert_id, "unit_id": units[expert_id],
                 "draw_order": order, "attending": False} for order, expert_id in enumerate(drawn, 1)]))
            # A redelivered draw answers this one instead of "already drawn" (shared/idempotency.py).
            remember(connection, {"meeting_id": str(meeting_id)})
        return self.meetings.get_meeting(actor, meeting_id)

    def replay_draw(self, actor, meeting_id):
        """Recompute the draw from its recorded seed and candidates: the audit of the randomness."""
        require_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR, action="核验专家抽取")
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
        if not data.meeting["draw"]:
            raise MeetingStateError("该会议尚未抽取专家")
        replayed, matches = drawing.replay(data.meeting["draw"])
        return {**data.meeting["draw"], "replayed": replayed, "matches": matches}

    # -- conflicts and attendance ---------------------------------------------------------

    def declare_conflict(self, actor, meeting_id, request):
        """An expert declares a conflict (or the office records one) with a dossier or the whole meeting."""
        require_role(actor, EXPERT, *ORGANISERS, action="申报回避")
        expert_id = actor.account_id if actor.role == EXPERT else request.get("expert_id")
        if actor.role == EXPERT and request.get("expert_id") not in (None, actor.account_id):
            raise ReviewNotAllowedError("专家只能为本人申报回避")
        if not expert_id:
            raise InvalidReviewCommandError("请指明回避的专家", fields={"expert_id": ["此项为必填项"]})
        dossier_id = request.get("dossier_id") or WHOLE_MEETING
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="share")
            if actor.role != EXPERT:
                self.meetings.may_run(actor, data.meeting["committee_id"])
            elif data.expert(expert_id) is None and expert_id not in {
                    member["expert_id"] for member in self.committees.pool(data.meeting["committee_id"])}:
                raise ReviewNotAllowedError("您不是该评委会的专家,无需申报回避")
            if data.state == CLOSED:
                raise MeetingStateError("评审会议已结束,不能再申报回避")
            if dossier_id != WHOLE_MEETING and data.dossier(dossier_id) is None:
                raise InvalidReviewCommandError("该申报材料不在本次会议中", fields={"dossier_id": ["不在本次会议中"]})
            voted = connection.execute(select(ballot_receipts.c.dossier_id).where(
                ballot_receipts.c.meeting_id == str(meeting_id), ballot_receipts.c.expert_id == expert_id)
            ).scalars().all()
            if (dossier_id == WHOLE_MEETING and voted) or dossier_id in voted:
                raise MeetingStateError("已投票的表决不能再申报回避")
            statement = insert(meeting_conflicts).values(meeting_id=str(meeting_id), expert_id=expert_id,
                                                         dossier_id=dossier_id, reason=request["reason"],
                                                         declared_by=actor.account_id)
            connection.execute(statement.on_conflict_do_update(
                index_elements=[meeting_conflicts.c.meeting_id, meeting_conflicts.c.expert_id,
                                meeting_conflicts.c.dossier_id],
                set_={"reason": statement.excluded.reason, "declared_by": statement.excluded.declared_by}))
        return {"meeting_id": str(meeting_id), "expert_id": expert_id, "dossier_id": dossier_id,
                "reason": request["reason"]}

    def record_attendance(self, actor, meeting_id, request):
        """Record which drawn experts attend (before opening); answers with the quorum."""
        self.meetings.organised(actor, meeting_id, states=(DRAWN,), action="登记出席")
        attending = set(request["expert_ids"])
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="update")
            if data.state != DRAWN:
                raise MeetingStateError("只能在抽取专家后、会议开始表决前登记出席")
            strangers = sorted(attending - data.drawn_ids)
            if strangers:
                raise InvalidReviewCommandError("以下人员不是本次会议抽取的专家:" + "、".join(strangers),
                                                fields={"expert_ids": ["含有未被抽取的人员"]})
            for expert_id in data.drawn_ids:
                connection.execute(update(meeting_experts).where(
                    meeting_experts.c.meeting_id == str(meeting_id), meeting_experts.c.expert_id == expert_id
                ).values(attending=expert_id in attending))
            connection.execute(update(meetings).where(meetings.c.id == str(meeting_id))
                               .values(attendance_recorded=True))
        rules = self.meetings.vote_rules(data)
        return ballots.quorum(len(data.drawn_ids), len(attending), rules["quorum_share"]).to_dict()

    # -- experts --------------------------------------------------------------------------

    def expert_meetings(self, actor):
        """The meetings an expert was drawn into, with each dossier: may they vote, have they voted."""
        require_role(actor, EXPERT, action="查看本人评审会议")
        with self.engine.connect() as connection:
            ids = connection.execute(select(meeting_experts.c.meeting_id)
                                     .where(meeting_experts.c.expert_id == actor.account_id)).scalars().all()
            found = [meeting_store.load(connection, meeting_id) for meeting_id in ids]
            voted = set(connection.execute(select(ballot_receipts.c.meeting_id, ballot_receipts.c.dossier_id)
                                           .where(ballot_receipts.c.expert_id == actor.account_id)).all())
            leads = {}
            for lead in lead_rows(connection, ids):
                leads.setdefault((lead["meeting_id"], lead["dossier_id"]), []).append(lead)
        answer = []
        for data in found:
            me = data.expert(actor.account_id)

            def leads_of(dossier, data=data):
                """The dossier's leads as the experts read them: those who recuse now are left out."""
                return [lead_view(lead) for lead in leads.get((data.meeting["id"], dossier["dossier_id"]), [])
                        if not _recused(data, lead["expert_id"], dossier)]

            answer.append({
                "meeting_id": data.meeting["id"], "title": data.meeting["title"],
                "meeting_date": data.meeting["meeting_date"].isoformat(), "state": data.state,
                "state_label": ballots.MEETING_STATES[data.state], "attending": me["attending"],
                "dossiers": [{"dossier_id": d["dossier_id"], "applicant_name": d["applicant_name"],
                              "unit_name": d["unit_name"], "recused": data.recusal(me, d),
                              "voted": (data.meeting["id"], d["dossier_id"]) in voted,
                              "is_lead": any(lead["expert_id"] == actor.account_id for lead in
                                             leads.get((data.meeting["id"], d["dossier_id"]), [])),
                              "leads": leads_of(d)} for d in data.dossiers],
            })
        return answer


def _recused(data, expert_id, dossier):
    expert = data.expert(expert_id)
    return bool(expert and data.recusal(expert, dossier))
