"""nameko dependencies: one Dossiers application per service container, and the instance's name."""
import os
import socket
import uuid

from nameko.extensions import DependencyProvider

from shared.clock import configured_clock

from .application import Dossiers


class DossierStore(DependencyProvider):
    """Creates the event-sourced application in setup() and closes it in stop().

    A ``CLOCK`` callable in the config (in-process tests and the demo loader; YAML cannot hold one)
    replaces the real clock for the events recorded and the dates decided.
    """

    def setup(self):
        config = self.container.config
        commands = config.get("COMMANDS", {})
        self.app = Dossiers(
            config["DATABASE_URL"],
            command_retries=int(commands.get("retries", 6)),
            retry_backoff=float(commands.get("retry_backoff_seconds", 0.02)),
            clock=configured_clock(config),
        )

    def stop(self):
        # Closing here, not at interpreter exit, avoids greenlet errors at shutdown.
        self.app.close()

    def get_dependency(self, worker_ctx):
        return self.app


class InstanceName(DependencyProvider):
    """Which running instance answered (host, process, container): shows how load is shared."""

    def setup(self):
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def get_dependency(self, worker_ctx):
        return self.name
