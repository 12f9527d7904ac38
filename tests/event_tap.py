"""A queue of the test's own bound to nameko's ``<source>.events`` exchange with one event type as
routing key, as a consumer's ``@event_handler`` queue is: what a service announced, as it left."""
import uuid

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange


class EventTap:
    """Every ``<source>.events`` message of one event type published while the tap is open."""

    def __init__(self, amqp_uri, source, event_type):
        self.connection = Connection(amqp_uri)
        queue = Queue(f"test-tap-{source}-{event_type}-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange(source, {}),
                      routing_key=event_type, exclusive=True, auto_delete=True)
        self.queue = self.connection.SimpleQueue(queue)

    def drain(self, quiet_seconds=0.5):
        """The payloads received so far, waiting until none has come for *quiet_seconds*."""
        payloads = []
        while True:
            try:
                message = self.queue.get(timeout=quiet_seconds)
            except self.queue.Empty:
                return payloads
            message.ack()
            payloads.append(message.payload)

    def close(self):
        self.queue.close()
        self.connection.release()
