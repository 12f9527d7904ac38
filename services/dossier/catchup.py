"""The catch-up projector: follows the log and brings every touched dossier's summary row up to date.

The command path already projects after each save; this follower guarantees the read model
converges even when a process died between saving events and writing the row, and it is what
``rebuild`` replays from position zero.
"""
from .logfollower import SUMMARY_PROJECTOR, LogFollower
from .projections import upsert_summaries


class SummaryCatchUp(LogFollower):
    name = SUMMARY_PROJECTOR

    def handle(self, notifications):
        dossier_ids = list(dict.fromkeys(notification.originator_id for notification in notifications))
        dossiers = [self.app.repository.get(dossier_id) for dossier_id in dossier_ids]
        with self.engine.begin() as connection:
            upsert_summaries(connection, dossiers)
