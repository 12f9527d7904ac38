"""Identity on the bus: a request to join a unit is announced as ``membership_requested`` (the payload of
shared/contracts/notification.py), once per request, only after it committed — over real RabbitMQ.

A queue of the test's own is bound to nameko's ``identity.events`` exchange with the event type as
routing key, as the notification service's ``@event_handler`` queue is. The dispatch is confirmed
by the broker before identity answers, so whatever the call published is in the queue by then.
"""
import logging
import uuid
from datetime import datetime, timezone

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.identity.exceptions import ActionNotAllowedError, StateConflictError
from services.identity.service import IdentityService
from shared.contracts.notification import IDENTITY_SOURCE, MEMBERSHIP_REQUESTED, MembershipRequestedEvent
from shared.idempotency import IDEMPOTENCY_KEY
from tests.event_tap import EventTap
from tests.infrastructure import rabbitmqctl

PASSWORD = "Passw0rd-test"


@pytest.fixture
def service_config(identity_config, amqp_uri):
    return {**identity_config, "AMQP_URI": amqp_uri}


@pytest.fixture
def rpc(service_config, run_services, demo):
    run_services((IdentityService, service_config))
    with ClusterRpcProxy({"AMQP_URI": service_config["AMQP_URI"]}, timeout=30) as cluster:
        yield cluster.identity


@pytest.fixture
def requested(service_config):
    tap = EventTap(service_config["AMQP_URI"], IDENTITY_SOURCE, MEMBERSHIP_REQUESTED)
    yield tap
    tap.close()


@pytest.fixture
def applicant(rpc, fresh):
    def make(name="赵六"):
        data = {"name": name, "id_number": fresh.id_number(), "phone": fresh.phone(), "password": PASSWORD}
        account = rpc.register(data)
        return {**data, "account": account,
                "actor": {"account_id": account["id"], "role": "applicant", "org_id": None}}

    return make


def of(person, payloads):
    return [payload for payload in payloads if payload.get("account_id") == person["account"]["id"]]


class TestMembershipRequested:
    def test_a_request_to_join_is_announced_once_with_exactly_the_contracts_payload(self, rpc, requested, applicant,
                                                                                    demo):
        person = applicant("赵六")
        unit_id = demo["orgs"]["演示单位甲"]
        membership = rpc.request_membership(person["actor"], {"unit_id": unit_id})
        (event,) = of(person, requested.drain())
        assert MembershipRequestedEvent().load(event) == event  # no field missing, none extra
        assert event == {
            "event_id": membership["id"], "membership_id": membership["id"], "unit_id": unit_id,
            "unit_name": "演示单位甲", "account_id": person["account"]["id"], "account_name": "赵六",
            "occurred_at": event["occurred_at"],
        }
        occurred = datetime.fromisoformat(event["occurred_at"])
        assert occurred.utcoffset() == timezone.utc.utcoffset(None)
        assert occurred == datetime.fromisoformat(membership["requested_at"])
        assert person["phone"] not in str(event)

    def test_a_refused_request_announces_nothing(self, rpc, requested, applicant, actors, demo):
        person = applicant()
        rpc.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位甲"]})
        assert len(of(person, requested.drain())) == 1
        with pytest.raises(StateConflictError):  # already waiting for 演示单位甲
            rpc.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位乙"]})
        with pytest.raises(ActionNotAllowedError):  # a unit admin does not ask to join as an applicant
            rpc.request_membership(actors["unit_b_admin"].to_dict(), {"unit_id": demo["orgs"]["演示单位甲"]})
        assert requested.drain() == []

    def test_a_redelivered_request_answers_its_membership_and_is_announced_once(self, rpc, service_config,
                                                                               requested, applicant, demo):
        person = applicant()
        keyed = {IDEMPOTENCY_KEY: f"identity-events-test-{uuid.uuid4()}"}
        with ClusterRpcProxy({"AMQP_URI": service_config["AMQP_URI"]}, timeout=30, context_data=keyed) as proxy:
            first = proxy.identity.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位甲"]})
            again = proxy.identity.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位甲"]})
        assert again == first
        assert [event["event_id"] for event in of(person, requested.drain())] == [first["id"]]

    def test_each_new_request_is_its_own_event(self, rpc, requested, applicant, demo):
        person = applicant()
        first = rpc.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位甲"]})
        rpc.end_membership(person["actor"], {"membership_id": first["id"]})
        second = rpc.request_membership(person["actor"], {"unit_id": demo["orgs"]["演示单位乙"]})
        events = of(person, requested.drain())
        assert [(e["event_id"], e["unit_name"]) for e in events] == [(first["id"], "演示单位甲"), (second["id"], "演示单位乙")]


class TestWhenTheBrokerRefusesTheEvent:
    """The request committed before the event was sent: the person is answered and the loss is logged."""

    @pytest.fixture
    def refusing_config(self, identity_config, amqp_vhost):
        uri = amqp_vhost("identity_events_refused")
        vhost = uri.rsplit("/", 1)[1]
        # identity may declare its exchange but not publish to it; RPC requests and replies still flow.
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", r"^(?!identity\.events$).*", ".*")
        yield {**identity_config, "AMQP_URI": uri}
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def test_the_request_is_recorded_answered_and_logged_without_the_phone(self, refusing_config, run_services,
                                                                        demo, fresh, identity, caplog):
        run_services((IdentityService, refusing_config))
        data = {"name": "钱七", "id_number": fresh.id_number(), "phone": fresh.phone(), "password": PASSWORD}
        with ClusterRpcProxy({"AMQP_URI": refusing_config["AMQP_URI"]}, timeout=30) as cluster:
            account = cluster.identity.register(data)
            actor = {"account_id": account["id"], "role": "applicant", "org_id": None}
            with caplog.at_level(logging.ERROR, logger="shared.announcing"):
                membership = cluster.identity.request_membership(actor, {"unit_id": demo["orgs"]["演示单位甲"]})
        assert membership["status"] == "pending"
        assert identity.accounts.get_account(account["id"])["membership"]["id"] == membership["id"]
        assert f"event membership_requested {membership['id']} not published" in caplog.text
        assert data["phone"] not in caplog.text
