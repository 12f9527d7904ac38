"""Independent scaling on real RabbitMQ and PostgreSQL: several instances of a service share its
RPC load, and each event is handled once per service, not once per instance."""

import eventlet
import pytest
from nameko.events import SERVICE_POOL, event_handler
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from tests.factories import Cast
from tests.waiting import wait_until


@pytest.fixture
def scaling_config(database_url, amqp_vhost):
    return {"AMQP_URI": amqp_vhost("scaling"), "DATABASE_URL": database_url("scaling_dossier"), "max_workers": 4}


@pytest.fixture
def open_notice(scaling_config):
    from tests.integration.dossier.conftest import ensure_open_notice

    app = Dossiers(scaling_config["DATABASE_URL"])
    ensure_open_notice(app)
    yield app
    app.close()


class Counter:
    """A consumer service; two instances of it run, sharing one queue."""

    name = "scaling_counter"
    handled = []

    @event_handler("dossier", "dossier_created", handler_type=SERVICE_POOL)
    def handle_dossier_created(self, payload):
        Counter.handled.append(payload["dossier_id"])


def test_rpc_calls_are_shared_between_two_dossier_instances(run_services, scaling_config):
    run_services((DossierService, scaling_config), (DossierService, scaling_config))
    with ClusterRpcProxy({"AMQP_URI": scaling_config["AMQP_URI"]}, timeout=30) as rpc:
        replies = [rpc.dossier.health.call_async() for _ in range(40)]
        instances = [reply.result()["instance"] for reply in replies]
    assert len(set(instances)) == 2
    assert min(instances.count(name) for name in set(instances)) >= 5


def test_each_event_is_handled_once_by_a_service_with_two_instances(run_services, scaling_config, open_notice):
    run_services((Counter, {"AMQP_URI": scaling_config["AMQP_URI"]}),
                 (Counter, {"AMQP_URI": scaling_config["AMQP_URI"]}))
    created = []
    for _ in range(20):
        cast = Cast()
        created.append(str(open_notice.create(cast.applicant, **cast.creation_fields()).id))
    relay = OutboxRelay(open_notice, scaling_config["AMQP_URI"])
    stop = []
    runner = eventlet.spawn(run, open_notice, [relay], poll_interval=0.05, should_stop=lambda: bool(stop))
    try:
        wait_until(lambda: set(created) <= set(Counter.handled), seconds=30, interval=0.1,
                   what="every created dossier's event to be handled")
        eventlet.sleep(1.0)  # time for a duplicate to show up, if there were one
    finally:
        stop.append(True)
        runner.wait()
        relay.close()
    handled = [dossier_id for dossier_id in Counter.handled if dossier_id in created]
    assert sorted(handled) == sorted(created)
