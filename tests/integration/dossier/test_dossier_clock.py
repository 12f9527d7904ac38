"""An injected clock stamps the dossier's events and decides its dates (in-process tests, the demo loader)."""
from datetime import datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.dossier.application import Dossiers
from services.dossier.service import DossierService
from shared.clock import TravelClock, utc_now
from tests.factories import Cast, fill_eligible


def clock_moved(**delta):
    clock = TravelClock()
    clock.travel(**delta)
    return clock


@pytest.fixture
def twenty_days_ago(dossier_config, open_notice_in_run_database):
    app = Dossiers(dossier_config["DATABASE_URL"], clock=clock_moved(days=-20))
    yield app
    app.close()


def at(entry):
    return datetime.fromisoformat(entry["at"])


def close_to(moment, expected, seconds=60):
    return abs((moment - expected).total_seconds()) < seconds


class TestInjectedClock:
    def test_the_events_of_its_commands_carry_the_applications_time_and_still_verify(self, twenty_days_ago):
        cast = Cast()
        dossier = twenty_days_ago.create(cast.applicant, **cast.creation_fields())
        loaded = twenty_days_ago.load(dossier.id)
        fill_eligible(loaded, cast)  # straight on the aggregate, outside a command: the real clock
        twenty_days_ago.save(loaded)
        twenty_days_ago.submit(dossier.id, cast.applicant)
        history = twenty_days_ago.history(dossier.id)
        assert history[-1]["type"] == "submitted"
        assert close_to(at(history[0]), utc_now() - timedelta(days=20))
        assert close_to(at(history[-1]), utc_now() - timedelta(days=20))
        assert close_to(at(history[1]), utc_now())
        assert twenty_days_ago.verify(dossier.id)["ok"]

    def test_an_application_on_the_real_clock_in_the_same_process_keeps_real_time(self, twenty_days_ago, dossiers):
        cast, other = Cast(), Cast()
        past = twenty_days_ago.create(cast.applicant, **cast.creation_fields())
        present = dossiers.create(other.applicant, **other.creation_fields())
        assert close_to(past.created_at, utc_now() - timedelta(days=20))
        assert close_to(present.created_at, utc_now())


class TestServiceClock:
    def test_a_clock_in_the_config_stamps_the_events_the_service_records(self, dossier_config,
                                                                        open_notice_in_run_database, run_services):
        run_services((DossierService, dict(dossier_config, CLOCK=clock_moved(days=-3))))
        cast = Cast()
        with ServiceRpcProxy("dossier", {"AMQP_URI": dossier_config["AMQP_URI"]}) as dossier:
            created = dossier.create(cast.applicant.to_dict(), cast.creation_fields())
            history = dossier.history(created["id"])
        assert close_to(datetime.fromisoformat(created["created_at"]), utc_now() - timedelta(days=3))
        assert close_to(at(history[0]), utc_now() - timedelta(days=3))
