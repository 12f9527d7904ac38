"""Composition root of the access-log service: the application on its own database."""
from nameko.extensions import DependencyProvider

from .application import AccessLog


def build_access_log(config):
    """The AccessLog application for *config*; the caller closes it."""
    retention = (config.get("RETENTION") or {}).get("days") or 180
    return AccessLog(config["DATABASE_URL"], retention_days=retention)


class AccessLogApplication(DependencyProvider):
    """One AccessLog per container, closed in stop(). A retention shorter than the legal minimum
    refuses to start (application.checked_retention)."""

    def setup(self):
        self.access_log = build_access_log(self.container.config)

    def stop(self):
        self.access_log.close()

    def kill(self):
        self.access_log.close()

    def get_dependency(self, worker_ctx):
        return self.access_log
