"""Drive real dossiers through the review chain with the dossier application, so the dossier service
and its outbox relay produce real events for the payment and certificate services to consume; and
re-deliver such an event on the bus, as an at-least-once broker may."""
import time
from contextlib import contextmanager

import eventlet
from kombu import Connection, Exchange, Producer
from nameko.containers import ServiceContainer

from shared.contracts import dossier as st
from services.dossier.relay import OutboxRelay
from shared.contracts.dossier_events import DOSSIER_EXCHANGE
from tests.factories import PAST_END, PAST_START, TODAY, Cast, fill_everything
from tests.integration.dossier.conftest import ensure_open_notice


# The committee the journey's dossiers are sent to, as review names it when sending (R9.6).
JOURNEY_COMMITTEE = "昆明市工程系列中级评审委员会(2026—2028)"


def _steps(cast):
    """The review chain as the application's named use cases, each ``step(dossiers, dossier_id)``."""
    def submit(dossiers, dossier_id):
        # On the aggregate alone (its completeness rule, not the year's eligibility policy, which the
        # dossier tests cover): these dossiers are of any level and year, and their events are what counts.
        dossier = dossiers.load(dossier_id)
        dossier.submit(cast.applicant)
        dossiers.save(dossier)

    def recommend(dossiers, dossier_id):
        saved, results = dossiers.recommend_batch(cast.unit_admin, [dossier_id], batch_id="batch-journey", today=TODAY)
        assert saved, results  # a batch that cannot move says why instead of raising

    return [
        submit,
        lambda dossiers, dossier_id: dossiers.approve(dossier_id, cast.unit_admin, opinion="同意推荐"),
        lambda dossiers, dossier_id: dossiers.record_unit_publicity(dossier_id, cast.unit_admin, start=PAST_START,
                                                                    end=PAST_END),
        recommend,
        lambda dossiers, dossier_id: dossiers.approve(dossier_id, cast.district_admin, opinion="同意"),
        # -> accepted (city_approved)
        lambda dossiers, dossier_id: dossiers.approve(dossier_id, cast.city_admin, opinion="受理"),
        lambda dossiers, dossier_id: dossiers.record_fee_paid(dossier_id, cast.system, order_id="order-journey",
                                                              amount_fen=16000),
        lambda dossiers, dossier_id: dossiers.send_to_committee(dossier_id, cast.city_admin,
                                                                committee_id="committee-eng-mid", meeting_id="meeting-1",
                                                                committee_name=JOURNEY_COMMITTEE),
        lambda dossiers, dossier_id: dossiers.start_review(dossier_id, cast.secretary, meeting_id="meeting-1"),
        lambda dossiers, dossier_id: dossiers.record_vote_result(dossier_id, cast.secretary, agree=12, disagree=2,
                                                                 abstain=1, voters=15, required=10),
        lambda dossiers, dossier_id: dossiers.start_publicity(dossier_id, cast.city_admin, publicity_id="pub-journey",
                                                              start=PAST_START, end=PAST_END),
        # -> approved (publicity_ended)
        lambda dossiers, dossier_id: dossiers.end_publicity(dossier_id, cast.system),
    ]


# How many steps of the chain reach each status.
REACHES = {st.SUBMITTED: 1, st.ACCEPTED: 6, st.FEE_PAID: 7, st.PASSED: 10, st.IN_PUBLICITY: 11, st.APPROVED: 12}


def new_dossier(dossiers, cast=None, **overrides):
    """A complete draft through the application (the year's notice, open now, is published if needed)."""
    cast = cast or Cast()
    ensure_open_notice(dossiers, overrides.get("review_year", 2026))
    dossier = dossiers.create(cast.applicant, **cast.creation_fields(**overrides))
    loaded = dossiers.load(dossier.id)
    fill_everything(loaded, cast)
    dossiers.save(loaded)
    return str(loaded.id), cast


def drive(dossiers, dossier_id, cast, status, start=0):
    """Run the chain's steps from *start* until the dossier is in *status*."""
    for step in _steps(cast)[start:REACHES[status]]:
        step(dossiers, dossier_id)
    return dossiers.get(dossier_id)


def dossier_in(dossiers, status, cast=None, **overrides):
    dossier_id, cast = new_dossier(dossiers, cast, **overrides)
    assert drive(dossiers, dossier_id, cast, status)["status"] == status
    return dossier_id, cast


def wait_for(condition, seconds=20.0, interval=0.05):
    """Poll *condition* (yielding to other greenthreads) until it is truthy; return its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        eventlet.sleep(interval)


def bus_message(dossiers, amqp_uri, dossier_id, event_type):
    """The integration event the relay publishes for the dossier's *event_type* (e.g. dossier_city_approved)."""
    follower = OutboxRelay(dossiers, amqp_uri)
    start = 1
    while True:
        batch = dossiers.recorder.select_notifications(start=start, limit=500)
        if not batch:
            raise LookupError(f"no {event_type} event for dossier {dossier_id}")
        for notification in batch:
            if str(notification.originator_id) == str(dossier_id):
                message = follower.integration_event(notification)
                if message["event_type"] == event_type:
                    return message
        start = batch[-1].id + 1


def publish(amqp_uri, message, times=1):
    """Publish *message* on the dossier exchange *times* times (duplicate deliveries)."""
    exchange = Exchange(DOSSIER_EXCHANGE, type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        producer = Producer(connection.channel())
        for _ in range(times):
            producer.publish(message, exchange=exchange, routing_key=message["event_type"], serializer="json",
                             delivery_mode=2, declare=[exchange])


def queue_depth(amqp_uri, queue_name):
    """Messages ready in a queue (0 when it is drained or does not exist)."""
    with Connection(amqp_uri) as connection:
        try:
            return connection.default_channel.queue_declare(queue_name, passive=True).message_count
        except Exception:
            return 0


@contextmanager
def running(*services):
    """Start nameko services ``(cls, config)`` for as long as the block runs (a module, in fixtures):
    stopping containers takes a second or two each, too long to pay for every test."""
    containers = []
    try:
        for service_cls, config in services:
            container = ServiceContainer(service_cls, config)
            container.start()
            containers.append(container)
        yield containers
    finally:
        for container in reversed(containers):
            container.stop()
