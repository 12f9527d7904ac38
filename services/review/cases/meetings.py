"""Use cases of review meetings (评审会议): create, list, assign dossiers, open (the experts: experts.py).

Meeting states: planned → drawn (experts drawn, attendance recorded) → open (voting) → closed.
A meeting's dossiers are fixed before its experts are drawn: assignment is open only while it is
planned; after the draw the set changes only by the office's recorded, reasoned decision
(``change_dossiers``, kept in ``meeting_dossier_changes``), a removed dossier going back to fee-paid.
Database work that holds row locks never waits on another service: RPC calls happen outside it.
A new meeting is recorded with the request's idempotency key (shared/idempotency.py) and an id
derived from it; assigning, changing and opening are naturally repeatable (see each), and every
dossier step they ask for goes under its own derived key (``ports.Remote.write``).
The vote's quorum and pass share are the year's policy (services/review/policy.py) of the review year of
the meeting's dossiers (the newest, if they mix years), fixed in ``meeting_vote_rules`` when the vote
opens: the tally and the meeting record apply what the vote was opened under.
The opening of a vote is announced on the bus (``meeting_opened``, shared/contracts/notification.py)
by the one call that opened it, after its commit, so the experts who vote are told once.
"""
from datetime import timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.idempotency import keyed_id, remember
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY

from .. import meeting_store
from ..committee_tables import (
    ballot_receipts, committees, meeting_dossier_changes, meeting_dossiers, meeting_experts, meeting_leads,
    meeting_vote_rules, meetings,
)
from ..context import Clock, QueueRows, wire
from ..domain import ballots, committees as rules, naming
from ..domain.ballots import ASSIGNED, DRAWN, OPEN, PLANNED, VOTING
from ..domain.scoping import require_role, scope_of
from ..exceptions import CommitteeRuleError, MeetingStateError, ReviewNotAllowedError
from ..meeting_views import meeting_view
from ..policy import YearPolicies
from ..ports import DossierPort
from ..tables import review_queue
from .committees import CommitteeCases
from .leads import lead_rows

ORGANISERS = (CITY_ADMIN, COMMITTEE_SECRETARY)
ADDED, REMOVED = "added", "removed"
DOSSIERS_FIXED = ("本次会议已抽取专家,申报材料已确定,不能再分配;确需调整的,请在会议页面"
                  "「调整申报材料」中作出决定并写明理由")


class MeetingCases:
    """A committee's review meetings, for its office and the city admin; the dossier service records
    each dossier's step. The draw and the ballot check their organiser through ``organised``."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, committees: CommitteeCases, clock: Clock,
                 policies: YearPolicies):
        self.engine, self.rows, self.dossiers, self.committees, self.clock = engine, rows, dossiers, committees, clock
        self.policies = policies

    def vote_rules(self, data):
        """``{review_year, policy_version, quorum_share, pass_share}`` the meeting applies: fixed when its
        vote opened, else the policy in force now of its dossiers' review year (this year's without any)."""
        with self.engine.connect() as connection:
            fixed = meeting_store.fixed_vote_rules(connection, data.meeting["id"])
            ids = [dossier["dossier_id"] for dossier in data.dossiers]
            years = connection.execute(select(review_queue.c.review_year).where(
                review_queue.c.dossier_id.in_(ids)).distinct()).scalars().all() if ids else []
        if fixed:
            return fixed
        policy = self.committees.vote_policy(max(years) if years else None)
        return {**policy.provenance(), "quorum_share": policy.quorum_share, "pass_share": policy.pass_share}

    def committee_with_rules(self, data):
        """The meeting's committee with the vote's shares it applies as its ``settings``."""
        committee = self.committees.committee_row(data.meeting["committee_id"])
        return meeting_store.with_vote_rules(committee, self.vote_rules(data))

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
        with self.engine.begin() as connection:
            # The committee's row lock numbers its meetings of one day one at a time (第N批).
            connection.execute(select(committees.c.id).where(committees.c.id == committee["id"]).with_for_update())
            batch = connection.execute(select(func.count()).select_from(meetings).where(
                meetings.c.committee_id == committee["id"], meetings.c.meeting_date == data["meeting_date"])).scalar()
            title = data.get("title") or naming.meeting_title(committee["name"], data["meeting_date"], batch + 1)
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
            changes = connection.execute(select(meeting_dossier_changes).where(
                meeting_dossier_changes.c.meeting_id == str(meeting_id)).order_by(
                meeting_dossier_changes.c.decided_at, meeting_dossier_changes.c.id)).mappings().all()
            leads = lead_rows(connection, [meeting_id])
        committee = self.committee_with_rules(data)
        self.committees.check_office(actor, committee)
        return meeting_view(data, committee, self.committees.pool(committee["id"]), voted, changes=changes,
                            leads=leads)

    # -- dossiers -------------------------------------------------------------------------

    def assign_dossiers(self, actor, meeting_id, request):
        """Send fee-paid dossiers to a planned meeting (``sent_to_committee``); each result names its dossier.

        Only before the draw: the experts are drawn for a fixed set (``change_dossiers`` after it).
        Naturally repeatable: the meeting's row per dossier is inserted once (``ON CONFLICT DO NOTHING``)
        and a repeated request's ``send_to_committee`` answers what the dossier recorded first."""
        data = self.organised(actor, meeting_id, states=tuple(ballots.MEETING_STATES), action="分配申报材料")
        if data.state != PLANNED:
            raise MeetingStateError(DOSSIERS_FIXED if data.state == DRAWN else
                                    f"会议当前为「{ballots.MEETING_STATES[data.state]}」,不能分配申报材料")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        scope, results = scope_of(actor), []
        for dossier_id in dict.fromkeys(request["dossier_ids"]):
            row = self.rows.fetch_row(dossier_id, expect=st.FEE_PAID)
            problems = self._assignment_problems(scope, row, committee, data)
            results.append(self._refused(dossier_id, problems) if problems else
                           self._send(actor, data, row, states=(PLANNED,), refused=DOSSIERS_FIXED))
        return {"meeting_id": data.meeting["id"], "results": results,
                "assigned": sum(1 for result in results if result["ok"])}

    def change_dossiers(self, actor, meeting_id, request):
        """The office's decision on a meeting's dossier set before the vote: ``{add, remove, reason}``.

        Each dossier added is checked as an assignment is (and its applicant must not be one of the
        drawn experts) and sent to the meeting; each removed goes back to fee-paid
        (``recall_from_committee``), free for another meeting. Every change is recorded with the
        reason, who decided and when. Naturally repeatable: a change's id derives from the request's
        key, so a redelivered request finds its changes recorded and answers them again."""
        data = self.organised(actor, meeting_id, states=(PLANNED, DRAWN), action="调整申报材料")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        reason, scope = request["reason"].strip(), scope_of(actor)
        with self.engine.connect() as connection:
            recorded = set(connection.execute(select(meeting_dossier_changes.c.id).where(
                meeting_dossier_changes.c.meeting_id == data.meeting["id"])).scalars())
        results = []
        for dossier_id in dict.fromkeys(request.get("remove") or []):
            change = self._change(actor, data, dossier_id, REMOVED, reason)
            results.append({"dossier_id": dossier_id, "ok": True, "change": REMOVED} if change["id"] in recorded
                           else self._remove(actor, data, change))
        for dossier_id in dict.fromkeys(request.get("add") or []):
            change = self._change(actor, data, dossier_id, ADDED, reason)
            if change["id"] in recorded:
                results.append({"dossier_id": dossier_id, "ok": True, "change": ADDED})
                continue
            if data.dossier(dossier_id) is not None:
                results.append(self._refused(dossier_id, ["该申报材料已在本次会议中"], ADDED))
                continue
            row = self.rows.fetch_row(dossier_id, expect=st.FEE_PAID)
            problems = self._assignment_problems(scope, row, committee, data)
            results.append(self._refused(dossier_id, problems, ADDED) if problems else
                           self._send(actor, data, row, states=(PLANNED, DRAWN), change=change,
                                      refused="会议已开始表决,申报材料不能再调入"))
        return {"meeting_id": data.meeting["id"], "results": results,
                "added": sum(1 for r in results if r["ok"] and r["change"] == ADDED),
                "removed": sum(1 for r in results if r["ok"] and r["change"] == REMOVED)}

    def _send(self, actor, data, row, *, states, refused, change=None):
        """Send the dossier to the meeting, then make it one of the meeting's while the meeting is in
        *states* (checked under its lock); if it moved on meanwhile, take the dossier back."""
        dossier_id, meeting_id = row["dossier_id"], data.meeting["id"]
        answer = {"dossier_id": dossier_id, "ok": True, **({"change": ADDED} if change else {})}
        try:
            # The committee's name travels with the dossier: its certificate prints it (R9.6).
            committee_name = self.committees.committee_row(data.meeting["committee_id"])["name"]
            self.rows.refresh(self.dossiers.send_to_committee(wire(actor), dossier_id, data.meeting["committee_id"],
                                                              meeting_id, committee_name))
        except PlatformError as error:
            return {**answer, "ok": False, "error": error.to_dict()}
        with self.engine.begin() as connection:
            state = self._locked_state(connection, meeting_id)
            if state == DRAWN and connection.execute(select(meeting_experts.c.expert_id).where(
                    meeting_experts.c.meeting_id == meeting_id,
                    meeting_experts.c.expert_id == row["applicant_id"])).first() is not None:
                # Drawn while the dossier was on its way, its applicant among the experts: it cannot join.
                state, refused = None, "申报人是本次会议已抽取的专家"
            if state in states:
                connection.execute(insert(meeting_dossiers).values(
                    meeting_id=meeting_id, dossier_id=dossier_id, applicant_id=row["applicant_id"],
                    applicant_name=row["applicant_name"], unit_id=row["unit_id"], unit_name=row["unit_name"],
                    state=ASSIGNED, result_recorded=False).on_conflict_do_nothing())
                if change:
                    connection.execute(insert(meeting_dossier_changes).values(
                        **change, applicant_name=row["applicant_name"]).on_conflict_do_nothing())
        if state in states:
            return answer
        # The experts were drawn (or the vote opened) while the dossier was on its way: it goes back.
        self._recall(actor, meeting_id, dossier_id, "会议申报材料已确定,未能分配,退回待送评")
        return {**answer, "ok": False, "error": {"code": "not_assignable", "message": refused}}

    def _remove(self, actor, data, change):
        """Take the dossier out of the meeting before its vote: fee-paid again; the change recorded."""
        dossier_id, meeting_id = change["dossier_id"], data.meeting["id"]
        entry = data.dossier(dossier_id)
        if entry is None:
            return self._refused(dossier_id, ["该申报材料不在本次会议中"], REMOVED)
        if entry["state"] != ASSIGNED:
            return self._refused(dossier_id, ["该申报材料已开始表决,不能撤出"], REMOVED)
        try:
            self._recall(actor, meeting_id, dossier_id, change["reason"], quiet=False)
        except PlatformError as error:
            return {"dossier_id": dossier_id, "ok": False, "change": REMOVED, "error": error.to_dict()}
        with self.engine.begin() as connection:
            self._locked_state(connection, meeting_id)
            connection.execute(delete(meeting_dossiers).where(
                meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == dossier_id))
            # Leads named for it lead nothing now: the decision to remove it is the record.
            connection.execute(delete(meeting_leads).where(
                meeting_leads.c.meeting_id == meeting_id, meeting_leads.c.dossier_id == dossier_id))
            connection.execute(insert(meeting_dossier_changes).values(
                **change, applicant_name=entry["applicant_name"]).on_conflict_do_nothing())
        return {"dossier_id": dossier_id, "ok": True, "change": REMOVED}

    def _recall(self, actor, meeting_id, dossier_id, reason, quiet=True):
        """``recalled_from_committee``: the dossier is fee-paid again (a failure is raised unless *quiet*:
        a dossier a lost race sent here stays where the dossier service has it, and its row says so)."""
        try:
            self.rows.refresh(self.dossiers.recall_from_committee(wire(actor), dossier_id, meeting_id, reason))
        except PlatformError:
            if not quiet:
                raise

    def _change(self, actor, data, dossier_id, change, reason):
        return {"id": keyed_id(f"meeting-dossier-change/{data.meeting['id']}/{change}/{dossier_id}"),
                "meeting_id": data.meeting["id"], "dossier_id": dossier_id, "change": change, "reason": reason,
                "decided_by": actor.account_id, "decided_role": actor.role, "decided_at": self.clock.now()}

    @staticmethod
    def _refused(dossier_id, problems, change=None):
        return {"dossier_id": dossier_id, "ok": False, **({"change": change} if change else {}),
                "error": {"code": "not_assignable", "message": ";".join(problems)}}

    @staticmethod
    def _locked_state(connection, meeting_id):
        """The meeting's state under a share lock (the draw and the opening, update locks, wait for it)."""
        return connection.execute(select(meetings.c.state).where(meetings.c.id == str(meeting_id))
                                  .with_for_update(read=True)).scalar()

    def _assignment_problems(self, scope, row, committee, data):
        if not scope.includes(row):
            return ["申报材料不存在或不在您的管辖范围内"]
        if row["status"] != st.FEE_PAID:
            return [f"当前状态为「{st.STATUS_LABELS[row['status']]}」,缴费后方可送评"]
        problems = rules.check_covers(committee, row)
        if row["applicant_id"] in data.drawn_ids:
            problems.append("申报人是本次会议已抽取的专家")
        return problems

    # -- opening --------------------------------------------------------------------------

    def open_meeting(self, actor, meeting_id, announce=None):
        """Open the vote: quorum present, every dossier has voters; each dossier gets ``review_started``.

        Naturally repeatable: a retry starts only the dossiers still waiting. *announce(event)* gets the
        ``meeting_opened`` payload once the opening committed, from the call that opened the vote only:
        a retry, or the loser of two racing openings, announces nothing (a meeting never reopens)."""
        data = self.organised(actor, meeting_id, states=(DRAWN, OPEN), action="开始评审")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        if not data.meeting["attendance_recorded"]:
            raise MeetingStateError("请先登记出席专家")
        rules_now = self.vote_rules(data)
        ballots.check_quorum(ballots.quorum(len(data.drawn_ids), len(data.attending_ids), rules_now["quorum_share"]))
        if not data.dossiers:
            raise MeetingStateError("会议尚未分配申报材料")
        without = [d["applicant_name"] for d in data.dossiers if not data.voters(d)]
        if without:
            raise MeetingStateError("以下申报材料没有可参加表决的专家(出席专家均须回避):" + "、".join(without))
        with self.engine.begin() as connection:
            # The shares the vote opens under; a retry keeps the first.
            connection.execute(insert(meeting_vote_rules).values(
                meeting_id=str(meeting_id), review_year=rules_now["review_year"],
                policy_version=rules_now["policy_version"], quorum_share=rules_now["quorum_share"],
                pass_share=rules_now["pass_share"], fixed_at=self.clock.now()).on_conflict_do_nothing())
        waiting = [dossier for dossier in data.dossiers if dossier["state"] == ASSIGNED]
        stuck = [dossier["applicant_name"] for dossier in waiting
                 if not self._start_review(actor, data.meeting["id"], dossier["dossier_id"])]
        if stuck:
            # Opening is all or nothing for the vote: a retry starts only the dossiers still waiting.
            raise MeetingStateError("以下申报材料未能开始评审,请稍后重试开始评审:" + "、".join(stuck))
        with self.engine.begin() as connection:
            current = meeting_store.load(connection, meeting_id, lock="update")
            if current.state == DRAWN and any(dossier["state"] == ASSIGNED for dossier in current.dossiers):
                # The office's decision added a dossier while the vote was being opened: a retry starts it.
                raise MeetingStateError("开始表决期间申报材料有调整,请再次点击「开始表决」")
            opened_at = self.clock.now()
            opened = connection.execute(
                update(meetings).where(meetings.c.id == str(meeting_id), meetings.c.state == DRAWN)
                .values(state=OPEN, opened_at=opened_at)).rowcount == 1
        if opened and announce is not None:
            announce(opened_event(current, committee, opened_at))
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


def opened_event(data, committee, opened_at):
    """The ``meeting_opened`` payload (MeetingOpenedEvent) of the meeting *data* as it was opened.

    The experts told are those who can vote now: drawn, attending, and not recused from every dossier
    (an expert out of one dossier's vote still votes on the others), in draw order. Their ids are
    identity account ids: the notification service looks up how to reach them.
    """
    voters = set().union(*(data.voters(dossier) for dossier in data.dossiers))
    meeting_id = data.meeting["id"]
    return {
        "event_id": f"{meeting_id}:opened", "meeting_id": meeting_id, "meeting_name": data.meeting["title"],
        "committee_name": committee["name"],
        "expert_account_ids": [expert["expert_id"] for expert in data.experts if expert["expert_id"] in voters],
        "dossier_count": len(data.dossiers), "occurred_at": opened_at.astimezone(timezone.utc).isoformat(),
    }
