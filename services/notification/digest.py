"""The units' daily digest of new submissions (今日新提交的申报): one message per unit per Beijing day.

Each ``submitted`` event is kept as a row waiting for its unit's digest; a ``submission_taken_back``
of a later version leaves that submission out (the dossier is a draft again). From the configured
hour (``DIGEST.hour``, Beijing) the timer gives each unit with waiting submissions its digest: the
digest row (unit, day) is inserted with ``ON CONFLICT DO NOTHING`` in the transaction that writes the
messages and marks the submissions told, so with several instances each unit gets one per day.
Submissions arriving after the day's digest wait for the next day's.
"""
from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.clock import beijing_now

from .compose import Message
from .privacy import masking_logger
from .tables import digests, submissions, take_backs

log = masking_logger(__name__)
NAMES_SHOWN = 20


class Digests:
    def __init__(self, app, hour=17):
        self.app, self.hour = app, int(hour)

    def record_submission(self, connection, event):
        snapshot = event["dossier"]
        connection.execute(insert(submissions).values(
            dossier_id=event["dossier_id"], version=event["version"], unit_id=snapshot["unit_id"],
            unit_name=snapshot["unit_name"][:200], applicant_name=snapshot["applicant_name"][:100],
            submitted_at=event["occurred_at"]).on_conflict_do_nothing())

    def record_take_back(self, connection, event):
        connection.execute(insert(take_backs).values(
            dossier_id=event["dossier_id"], version=event["version"], taken_back_at=event["occurred_at"],
        ).on_conflict_do_nothing())

    def run(self, directory):
        """Give today's digest to every unit that has one due; the number of digests given."""
        now = beijing_now(self.app.clock)
        if now.hour < self.hour:
            return 0
        today, given = now.date(), 0
        with self.app.engine.connect() as connection:
            units = connection.execute(select(submissions.c.unit_id).where(_waiting(), ~exists().where(
                digests.c.unit_id == submissions.c.unit_id, digests.c.day == today)).distinct()).scalars().all()
        for unit_id in units:
            admins = directory.unit_admins(unit_id)  # asked before the transaction: no lock waits on identity
            given += self._give(unit_id, today, admins)
        return given

    def _give(self, unit_id, today, admins):
        with self.app.engine.begin() as connection:
            waiting = connection.execute(select(submissions).where(submissions.c.unit_id == unit_id, _waiting())
                                         .order_by(submissions.c.submitted_at).with_for_update()).mappings().all()
            if not waiting:
                return 0
            claimed = connection.execute(insert(digests).values(
                unit_id=unit_id, day=today, submissions=len({row["dossier_id"] for row in waiting}), created_at=self.app.clock(),
            ).on_conflict_do_nothing().returning(digests.c.unit_id)).first()
            if claimed is None:  # another instance gave it
                return 0
            connection.execute(update(submissions).where(
                submissions.c.unit_id == unit_id, submissions.c.digest_day.is_(None),
                submissions.c.dossier_id.in_([row["dossier_id"] for row in waiting])).values(digest_day=today))
            # A dossier returned and resubmitted the same day is one submission to look at.
            latest = {row["dossier_id"]: row for row in waiting}
            names = [row["applicant_name"] for row in latest.values()]
            shown = "、".join(names[:NAMES_SHOWN]) + (f" 等 {len(names)} 人" if len(names) > NAMES_SHOWN else "")
            params = {"day": today.isoformat(), "unit_name": waiting[-1]["unit_name"], "count": len(names),
                      "names": shown}
            outgoing = [Message("submissions_digest", admin, params, "/review") for admin in admins]
            self.app.write_messages(connection, f"digest:{unit_id}:{today.isoformat()}", outgoing, self.app.clock())
        log.info("submissions digest of %s for unit %s: %d submissions, %d admins", today, unit_id, len(names),
                 len(admins))
        return 1


def _waiting():
    """Submissions not yet in a digest and not taken back since."""
    later_take_back = exists().where(take_backs.c.dossier_id == submissions.c.dossier_id,
                                     take_backs.c.version > submissions.c.version)
    return and_(submissions.c.digest_day.is_(None), ~later_take_back)
