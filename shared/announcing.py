"""How a service tells the bus what it has already recorded (identity's join requests, review's
meeting openings): nameko's EventDispatcher (exchange ``<service>.events``, routing key = the event
type, publisher confirms), injected as ``announce(event_type, payload)`` → True when the broker took it.

The write has committed before the announcement: a broker that cannot take the event must not turn a
recorded request into an error for the person, so a failure is logged — the event type and id only,
since payloads name people — and the answer goes on. (A transactional outbox, as the dossier's relay
has, would close the window between commit and publish; these events carry messages, not state.)
"""
import logging

from kombu import Connection
from kombu.common import maybe_declare
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.events import EventDispatcher, get_event_exchange

log = logging.getLogger(__name__)


class EventAnnouncer(EventDispatcher):
    def setup(self):
        """nameko's own setup, except that the exchange is declared on a connection of its own: nameko
        takes one from kombu's process-wide pool, which after a broker restart can hand back a
        connection closed under it (kombu then has no transport to open a channel on), and a service
        started later in the same process — the tests start many — would fail to start."""
        config = self.container.config
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.declare.append(self.exchange)
        ssl, login_method = config.get(AMQP_SSL_CONFIG_KEY), config.get(LOGIN_METHOD_CONFIG_KEY)
        with Connection(self.amqp_uri, ssl=ssl, login_method=login_method) as connection:
            for entity in self.declare:
                maybe_declare(entity, connection.channel())
        serializer = self.options.pop("serializer", self.serializer)
        self.publisher = self.publisher_cls(self.amqp_uri, serializer=serializer, exchange=self.exchange,
                                            declare=self.declare, ssl=ssl, login_method=login_method,
                                            **self.options)

    def get_dependency(self, worker_ctx):
        dispatch = super().get_dependency(worker_ctx)

        def announce(event_type, payload):
            try:
                dispatch(event_type, payload)
                return True
            except Exception as error:  # whatever the broker raised, the write stands
                log.error("event %s %s not published (recorded, but nobody is told): %s", event_type,
                          payload.get("event_id"), type(error).__name__)
                return False

        return announce
