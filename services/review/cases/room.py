"""Use cases of the review room (评审室): a drawn expert reads the meeting's dossiers, every view is
recorded, and the meeting's organisers and the auditor read the record.

Review owns the meeting, so it is the judge of access (domain/room.py); the gateway asks it before
it reads the dossier from the dossier service and shows it. The view is recorded in the same
transaction as the check, under a share lock on the meeting: closing the vote (an update lock)
waits for a view in flight, so no view is recorded as allowed after the meeting closed.
"""
import uuid

from sqlalchemy import insert, select

from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT

from .. import meeting_store
from ..committee_tables import committee_experts, room_views
from ..context import Clock
from ..domain import room
from ..domain.scoping import require_role
from .committees import CommitteeCases

RECORD_READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)


def _bounded(value, length):
    """Request metadata kept as given, cut to its column (it describes the request, it is not judged)."""
    return str(value)[:length] if value else None


class RoomCases:
    """The room's access rule and its record of views; the committee office comes from committees."""

    def __init__(self, engine, committees: CommitteeCases, clock: Clock):
        self.engine, self.committees, self.clock = engine, committees, clock

    def open_dossier(self, actor, meeting_id, dossier_id, what, correlation_id=None, source_address=None):
        """Let the expert read *what* (the dossier, or ``material:<id>``) of a dossier of the meeting, and
        record the view; otherwise raise the refusal (nothing is recorded)."""
        require_role(actor, EXPERT, action="查阅评审会议的申报材料")
        what = room.check_what(what)
        meeting_id, dossier_id = str(meeting_id), str(dossier_id)
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="share")
            expert, dossier = data.expert(actor.account_id), data.dossier(dossier_id)
            room.check_may_read(
                meeting_state=data.state, expert_id=actor.account_id, drawn_ids=data.drawn_ids,
                attending_ids=data.attending_ids, attendance_recorded=data.meeting["attendance_recorded"],
                in_meeting=dossier is not None,
                recusal=data.recusal(expert, dossier) if expert and dossier else None)
            viewed_at = self.clock.now()
            connection.execute(insert(room_views).values(
                id=str(uuid.uuid4()), meeting_id=meeting_id, dossier_id=dossier_id, expert_id=actor.account_id,
                what=what, viewed_at=viewed_at, correlation_id=_bounded(correlation_id, 64),
                source_address=_bounded(source_address, 64)))
        meeting = data.meeting
        return {"meeting_id": meeting_id, "dossier_id": dossier_id, "what": what, "allowed": True,
                "viewed_at": viewed_at, "meeting_title": meeting["title"], "meeting_date": meeting["meeting_date"],
                "meeting_state": data.state, "applicant_name": dossier["applicant_name"],
                "unit_name": dossier["unit_name"]}

    def views(self, actor, meeting_id):
        """The meeting's room record, newest first, for its organisers and the auditor: who read what, when."""
        require_role(actor, *RECORD_READERS, action="查看评审材料查阅记录")
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
            rows = connection.execute(select(room_views).where(room_views.c.meeting_id == str(meeting_id))
                                      .order_by(room_views.c.viewed_at.desc(), room_views.c.id)).mappings().all()
        committee = self.committees.committee_row(data.meeting["committee_id"])
        self.committees.check_office(actor, committee)
        # Experts who left the pool since keep their name on the record: the pool is asked with them.
        names = {expert["expert_id"]: expert["name"] for expert in self._everyone(committee["id"])}
        applicants = {dossier["dossier_id"]: dossier["applicant_name"] for dossier in data.dossiers}
        return [{**dict(row), "expert_name": names.get(row["expert_id"], ""),
                 "applicant_name": applicants.get(row["dossier_id"], ""),
                 "material_id": room.material_of(row["what"])} for row in rows]

    def _everyone(self, committee_id):
        with self.engine.connect() as connection:
            return connection.execute(select(committee_experts.c.expert_id, committee_experts.c.name).where(
                committee_experts.c.committee_id == str(committee_id))).mappings().all()
