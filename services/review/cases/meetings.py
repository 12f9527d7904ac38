"""Use cases of review meetings (评审会议): create, list, assign dossiers, open (the experts: experts.py).

Meeting states: planned → drawn (experts drawn, attendance recorded) → open (voting) → closed.
Database work that holds row locks never waits on another service: RPC calls happen outside it.
A new meeting is recorded with the request's idempotency key (shared/idempotency.py) and an id
derived from it; assigning and opening are naturally repeatable (see each), and every dossier step
they ask for goes under its own derived key (``ports.Remote.write``).
"""
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.idempotency import keyed_id, remember
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY

from .. import meeting_store
from ..committee_tables import ballot_receipts, meeting_dossiers, meetings
from ..context import Clock, QueueRows, wire
from ..domain import ballots, committees as rules
from ..domain.ballots import ASSIGNED, DRAWN, OPEN, PLANNED, VOTING
from ..domain.scoping import require_role, scope_of
from ..exceptions import CommitteeRuleError, MeetingStateError, ReviewNotAllowedError
from ..meeting_views import meeting_view
from ..ports import DossierPort
from .committees import CommitteeCases

ORGANISERS = (CITY_ADMIN, COMMITTEE_SECRETARY)


class MeetingCases:
    """A committee's review meetings, for its office and the city admin; the dossier service records
    each dossier's step. The draw and the ballot check their organiser through ``organised``."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, committees: CommitteeCases, clock: Clock):
        self.engine, self.rows, self.dossiers, self.committees, self.clock = engine, rows, dossiers, committees, clock

    def create_meeting(self, actor, data):
        require_role(actor, *ORGANISERS, action="组织评审会议")
        committee = self.committees.committee_row(data["committee_id"])
        self.committees.check_office(actor, committee)
        rules.check_valid_on(committee, data["meeting_date"])
        pool_size = self.committees.pool_size(committee["id"])
        rules.check_pool_complete(committee, pool_size)
        if data["expert_count"] > pool_size:
            raise CommitteeRuleError(f"专家库只有 {pool_size} 人,不能抽取 {data['expert_count']} 人",
                                     fields={"expert_count": [f"最多 {pool_size} 人"]})
        meeting_id = keyed_id("meeting")
        title = data.get("title") or f"{committee['name']}评审会议({data['meeting_date'].isoformat()})"
        with self.engine.begin() as connection:
            connection.execute(insert(meetings).values(
                id=meeting_id, committee_id=committee["id"], title=title, meeting_date=data["meeting_date"],
                expert_count=data["expert_count"], state=PLANNED, attendance_recorded=False,
                created_by=actor.account_id, created_at=self.clock.now()))
            remember(connection, {"meeting_id": meeting_id})
        return self.get_meeting(actor, meeting_id)

    def list_meetings(self, actor, query):
        require_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR, action="查看评审会议")
        statement = select(meetings).order_by(meetings.c.meeting_date.desc(), meetings.c.id)
        if query.get("committee_id"):
            statement = statement.where(meetings.c.committee_id == query["committee_id"])
        if query.get("state"):
            statement = statement.where(meetings.c.state == query["state"])
        with self.engine.connect() as connection:
            rows = connection.execute(statement).mappings().all()
        visible = [row for row in rows if self.may_run(actor, row["committee_id"], raise_error=False)]
        return [{**{k: v for k, v in row.items() if k != "draw"}, "meeting_date": row["meeting_date"].isoformat(),
                 "created_at": row["created_at"].isoformat(), "state_label": ballots.MEETING_STATES[row["state"]],
                 "opened_at": row["opened_at"] and row["opened_at"].isoformat(),
                 "closed_at": row["closed_at"] and row["closed_at"].isoformat()} for row in visible]

    def get_meeting(self, actor, meeting_id):
        """The meeting for its organisers and auditors: draw, attendance, quorum, dossiers, who has voted."""
        require_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR, action="查看评审会议")
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
            voted = connection.execute(select(ballot_receipts.c.dossier_id, ballot_receipts.c.expert_id)
                                       .where(ballot_receipts.c.meeting_id == str(meeting_id))).all()
        committee = self.committees.committee_row(data.meeting["committee_id"])
        self.committees.check_office(actor, committee)
        return meeting_view(data, committee, self.committees.pool(committee["id"]), voted)

    # -- dossiers -------------------------------------------------------------------------

    def assign_dossiers(self, actor, meeting_id, request):
        """Send fee-paid dossiers to the meeting (``sent_to_committee``); each result names its dossier.

        Naturally repeatable: the meeting's row per dossier is inserted once (``ON CONFLICT DO NOTHING``)
        and a repeated request's ``send_to_committee`` answers what the dossier recorded first."""
        data = self.organised(actor, meeting_id, states=(PLANNED, DRAWN), action="分配申报材料")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        scope, results = scope_of(actor), []
        for dossier_id in dict.fromkeys(request["dossier_ids"]):
            row = self.rows.fetch_row(dossier_id, expect=st.FEE_PAID)
            problems = self._assignment_problems(scope, row, committee, data)
            if problems:
                results.append({"dossier_id": dossier_id, "ok": False,
                                "error": {"code": "not_assignable", "message": ";".join(problems)}})
                continue
            try:
                dossier = self.dossiers.send_to_committee(wire(actor), dossier_id, committee["id"], data.meeting["id"])
            except PlatformError as error:
                results.append({"dossier_id": dossier_id, "ok": False, "error": error.to_dict()})
                continue
            self.rows.refresh(dossier)
            with self.engine.begin() as connection:
                connection.execute(insert(meeting_dossiers).values(
                    meeting_id=data.meeting["id"], dossier_id=dossier_id, applicant_id=row["applicant_id"],
                    applicant_name=row["applicant_name"], unit_id=row["unit_id"], unit_name=row["unit_name"],
                    state=ASSIGNED, result_recorded=False).on_conflict_do_nothing())
            results.append({"dossier_id": dossier_id, "ok": True})
        return {"meeting_id": data.meeting["id"], "results": results,
                "assigned": sum(1 for result in results if result["ok"])}

    def _assignment_problems(self, scope, row, committee, data):
        if not scope.includes(row):
            return ["申报材料不存在或不在您的管辖范围内"]
        if row["status"] != st.FEE_PAID:
            return [f"当前状态为「{st.STATUS_LABELS[row['status']]}」,缴费后方可送评"]
        problems = rules.check_covers(committee, row)
        if data.state == DRAWN and row["applicant_id"] in data.drawn_ids:
            problems.append("申报人是本次会议已抽取的专家")
        return problems

    # -- opening --------------------------------------------------------------------------

    def open_meeting(self, actor, meeting_id):
        """Open the vote: quorum present, every dossier has voters; each dossier gets ``review_started``.

        Naturally repeatable: a retry starts only the dossiers still waiting."""
        data = self.organised(actor, meeting_id, states=(DRAWN, OPEN), action="开始评审")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        if not data.meeting["attendance_recorded"]:
            raise MeetingStateError("请先登记出席专家")
        ballots.check_quorum(ballots.quorum(len(data.drawn_ids), len(data.attending_ids),
                                            committee["settings"]["quorum_share"]))
        if not data.dossiers:
            raise MeetingStateError("会议尚未分配申报材料")
        without = [d["applicant_name"] for d in data.dossiers if not data.voters(d)]
        if without:
            raise MeetingStateError("以下申报材料没有可参加表决的专家(出席专家均须回避):" + "、".join(without))
        waiting = [dossier for dossier in data.dossiers if dossier["state"] == ASSIGNED]
        stuck = [dossier["applicant_name"] for dossier in waiting
                 if not self._start_review(actor, data.meeting["id"], dossier["dossier_id"])]
        if stuck:
            # Opening is all or nothing for the vote: a retry starts only the dossiers still waiting.
            raise MeetingStateError("以下申报材料未能开始评审,请稍后重试开始评审:" + "、".join(stuck))
        with self.engine.begin() as connection:
            connection.execute(update(meetings).where(meetings.c.id == str(meeting_id), meetings.c.state == DRAWN)
                               .values(state=OPEN, opened_at=self.clock.now()))
        return self.get_meeting(actor, meeting_id)

    def _start_review(self, actor, meeting_id, dossier_id):
        """``review_started`` for one dossier; True when it is under review now."""
        state, error = VOTING, None
        try:
            self.rows.refresh(self.dossiers.start_review(wire(actor), dossier_id, meeting_id))
        except PlatformError as failure:
            # A retried opening: a dossier already under review is fine.
            if self.rows.dossier_status(dossier_id) != st.UNDER_REVIEW:
                state, error = ASSIGNED, failure.message
        with self.engine.begin() as connection:
            connection.execute(update(meeting_dossiers).where(
                meeting_dossiers.c.meeting_id == str(meeting_id), meeting_dossiers.c.dossier_id == dossier_id
            ).values(state=state, error=error))
        return error is None

    # -- helpers --------------------------------------------------------------------------

    def organised(self, actor, meeting_id, *, states, action):
        """The meeting, if *actor* organises it and it is in one of *states*; otherwise the refusal."""
        require_role(actor, *ORGANISERS, action=action)
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
        self.may_run(actor, data.meeting["committee_id"])
        if data.state not in states:
            raise MeetingStateError(f"会议当前为「{ballots.MEETING_STATES[data.state]}」,不能{action}")
        return data

    def may_run(self, actor, committee_id, raise_error=True):
        """Whether *actor* runs this committee's meetings (raises the refusal unless *raise_error* is false)."""
        try:
            self.committees.check_office(actor, self.committees.committee_row(committee_id))
            return True
        except ReviewNotAllowedError:
            if raise_error:
                raise
            return False
