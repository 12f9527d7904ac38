"""A review meeting as it is stored: the meeting, its drawn experts, its dossiers and declared conflicts,
loaded together so the rules (who may vote on what) are answered from one consistent read."""
from dataclasses import dataclass, field

from sqlalchemy import select

from .domain import ballots
from .committee_tables import (
    WHOLE_MEETING, meeting_conflicts, meeting_dossiers, meeting_experts, meeting_vote_rules, meetings,
)
from .exceptions import MeetingNotFound


@dataclass
class MeetingData:
    meeting: dict
    experts: list = field(default_factory=list)
    dossiers: list = field(default_factory=list)
    conflicts: dict = field(default_factory=dict)  # (expert_id, dossier_id or "*") -> reason

    @property
    def state(self):
        return self.meeting["state"]

    @property
    def drawn_ids(self):
        return {expert["expert_id"] for expert in self.experts}

    @property
    def attending_ids(self):
        return {expert["expert_id"] for expert in self.experts if expert["attending"]}

    def expert(self, expert_id):
        return next((expert for expert in self.experts if expert["expert_id"] == expert_id), None)

    def dossier(self, dossier_id):
        return next((dossier for dossier in self.dossiers if dossier["dossier_id"] == str(dossier_id)), None)

    def recusal(self, expert, dossier):
        """Why *expert* stays out of the vote on *dossier* (unit, own dossier, declared conflict), or None."""
        whole = self.conflicts.get((expert["expert_id"], WHOLE_MEETING))
        return ballots.recusal_reason(expert, dossier, self.conflicts) or whole

    def voters(self, dossier):
        """The attending experts who are not recused from *dossier*: the tally's denominator."""
        return sorted(expert["expert_id"] for expert in self.experts
                      if expert["attending"] and not self.recusal(expert, dossier))


def load(connection, meeting_id, *, lock=None):
    """The meeting with everything the rules need; *lock* is ``"update"`` or ``"share"`` for a row lock."""
    statement = select(meetings).where(meetings.c.id == str(meeting_id))
    if lock == "update":
        statement = statement.with_for_update()
    elif lock == "share":
        statement = statement.with_for_update(read=True)
    row = connection.execute(statement).mappings().first()
    if row is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    experts = connection.execute(select(meeting_experts).where(meeting_experts.c.meeting_id == row["id"])
                                 .order_by(meeting_experts.c.draw_order)).mappings().all()
    dossiers = connection.execute(select(meeting_dossiers).where(meeting_dossiers.c.meeting_id == row["id"])
                                  .order_by(meeting_dossiers.c.dossier_id)).mappings().all()
    conflicts = connection.execute(select(meeting_conflicts)
                                   .where(meeting_conflicts.c.meeting_id == row["id"])).mappings()
    return MeetingData(
        meeting=dict(row), experts=[dict(expert) for expert in experts], dossiers=[dict(item) for item in dossiers],
        conflicts={(conflict["expert_id"], conflict["dossier_id"]): conflict["reason"] for conflict in conflicts},
    )


def fixed_vote_rules(connection, meeting_id):
    """The quorum and pass share fixed when the meeting's vote opened, or None before that."""
    row = connection.execute(select(meeting_vote_rules).where(meeting_vote_rules.c.meeting_id == str(meeting_id))
                             ).mappings().first()
    return dict(row) if row else None


def with_vote_rules(committee, rules):
    """The committee as meeting views and records read it: ``settings`` holds the shares the meeting applies."""
    return {**committee, "settings": {"quorum_share": rules["quorum_share"], "pass_share": rules["pass_share"]}}
