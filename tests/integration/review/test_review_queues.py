"""Work queues on real PostgreSQL and RabbitMQ: built from the dossier service's real events, idempotent
under duplicated and reordered delivery, and scoped — unit A and district X never see B or Y."""
import base64
import csv
import io
import random

import eventlet
import pytest
from kombu import Connection, Exchange, Producer
from openpyxl import load_workbook
from sqlalchemy import delete, select

from shared.contracts import dossier as st
from services.dossier.relay import OutboxRelay
from services.review.application import apply_dossier_event
from services.review.context import ReviewState
from services.review.exceptions import OutOfScopeError, ReviewNotAllowedError
from services.review.tables import review_queue, unit_publicity_periods
from shared.event_handlers import loaded_dossier_event
from shared.contracts.dossier_events import DOSSIER_EXCHANGE
from tests.integration.review.review_support import AUDITOR, CITY


def dossier_payloads(system, dossier_id):
    """Every bus message of one dossier, as the outbox relay publishes them, oldest first."""
    app = system.dossier_app
    newest = app.recorder.max_notification_id() or 0
    notifications = app.recorder.select_notifications(start=max(newest - 3000, 1), limit=3001)
    relay = OutboxRelay(app, system.amqp_uri)
    return [relay.integration_event(n) for n in notifications if str(n.originator_id) == dossier_id]


def rows_of(engine, dossier_id):
    with engine.connect() as connection:
        queue = connection.execute(select(review_queue).where(review_queue.c.dossier_id == dossier_id)).mappings().first()
        period = connection.execute(select(unit_publicity_periods)
                                    .where(unit_publicity_periods.c.dossier_id == dossier_id)).mappings().first()
    return dict(queue) if queue else None, dict(period) if period else None


def exported_ids(answer):
    """The dossier ids (last column) of an exported CSV or Excel file."""
    content = base64.b64decode(answer["content_base64"])
    if answer["filename"].endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(content)).active
        return [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    return [row[-1] for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]]


class TestQueueFromEvents:
    def test_a_submitted_dossier_reaches_its_unit_queue_through_the_bus(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        version = system.wait_projected(dossier_id)
        page = system.review.queue(cast.unit_admin.to_dict(), {"awaiting": True})
        (item,) = page["items"]
        assert (item["dossier_id"], item["status"], item["version"]) == (dossier_id, st.SUBMITTED, version)
        assert item["status_label"] == "待单位审核" and item["level_label"] == "中级"

    def test_a_draft_is_projected_but_shown_to_no_administrator(self, system):
        cast = system.new_cast()
        draft = system.dossier.create(cast.applicant.to_dict(), cast.creation_fields())
        system.wait_projected(draft["id"])
        assert system.review.queue(cast.unit_admin.to_dict(), {})["total"] == 0
        with pytest.raises(OutOfScopeError):
            system.review.queue_item(CITY.to_dict(), draft["id"])

    def test_the_awaiting_filter_follows_the_dossier_up_the_chain(self, system):
        cast = system.new_cast()
        (dossier_id,) = system.recommended(cast)
        system.wait_projected(dossier_id)
        assert system.review.queue(cast.unit_admin.to_dict(), {"awaiting": True})["total"] == 0
        district = system.review.queue(cast.district_admin.to_dict(), {"awaiting": True})
        assert [item["dossier_id"] for item in district["items"]] == [dossier_id]


class TestIdempotentProjection:
    @pytest.fixture
    def projection_state(self, database_url):
        state = ReviewState(database_url("review_projection"))
        yield state
        state.close()

    def test_duplicated_and_reordered_payloads_give_the_rows_of_ordered_delivery(self, system, projection_state):
        cast = system.new_cast()
        (dossier_id,) = system.unit_approved(cast)
        system.publicised_in_unit(cast, [dossier_id])
        system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "return", "reason": "补充材料",
                                                                     "sections": ["materials"]})
        system.dossier.submit(cast.applicant.to_dict(), dossier_id)
        payloads = dossier_payloads(system, dossier_id)
        types = [payload["event_type"] for payload in payloads]
        assert types[-3:] == ["dossier_unit_publicity_recorded", "dossier_returned", "dossier_submitted"]
        engine = projection_state.engine

        def replay(sequence):
            with engine.begin() as connection:
                connection.execute(delete(review_queue).where(review_queue.c.dossier_id == dossier_id))
                connection.execute(delete(unit_publicity_periods).where(unit_publicity_periods.c.dossier_id == dossier_id))
            for payload in sequence:
                apply_dossier_event(projection_state, loaded_dossier_event(payload))
            return rows_of(engine, dossier_id)

        ordered = replay(payloads)
        assert ordered[0]["version"] == len(payloads) and ordered[0]["status"] == st.SUBMITTED
        assert ordered[1]["start"] is None  # the return cleared the unit publicity, as the aggregate does
        shuffler = random.Random(20260301)
        for _ in range(5):
            messy = payloads + shuffler.sample(payloads, len(payloads) // 2)
            shuffler.shuffle(messy)
            assert replay(messy) == ordered
        assert replay(list(reversed(payloads))) == ordered

    def test_an_old_event_redelivered_on_the_bus_changes_nothing(self, system):
        cast = system.new_cast()
        (dossier_id,) = system.unit_approved(cast)
        version = system.wait_projected(dossier_id)
        before = rows_of(system.review_engine, dossier_id)[0]
        payloads = dossier_payloads(system, dossier_id)
        with Connection(system.amqp_uri) as connection:
            producer = Producer(connection.default_channel)
            exchange = Exchange(DOSSIER_EXCHANGE, type="topic", durable=True)
            for payload in (payloads[0], payloads[-3], payloads[-1], payloads[-1]):
                producer.publish(payload, exchange=exchange, routing_key=payload["event_type"], serializer="json")
        eventlet.sleep(1.5)
        assert rows_of(system.review_engine, dossier_id)[0] == before
        assert before["version"] == version and before["status"] == st.UNIT_APPROVED


@pytest.fixture(scope="module")
def three_units(system):
    """Dossiers of unit A and C (district X) and unit B (district Y), one each, submitted."""
    from tests.factories import unique

    district_x, district_y = unique("district-x"), unique("district-y")
    casts = {"A": system.new_cast(district_id=district_x), "C": system.new_cast(district_id=district_x),
             "B": system.new_cast(district_id=district_y)}
    ids = {name: system.submitted(cast, applicant_name=f"申报人{name}") for name, cast in casts.items()}
    for dossier_id in ids.values():
        system.wait_projected(dossier_id)
    return casts, ids


class TestScoping:
    def test_a_unit_admin_sees_only_their_unit_in_lists_counts_and_exports(self, system, three_units):
        casts, ids = three_units
        admin_a = casts["A"].unit_admin.to_dict()
        assert [item["dossier_id"] for item in system.review.queue(admin_a, {})["items"]] == [ids["A"]]
        assert system.review.queue(admin_a, {"unit_id": casts["B"].unit_id})["total"] == 0
        assert system.review.queue_counts(admin_a, {})["counts"] == {st.SUBMITTED: 1}
        for file_format in ("csv", "xlsx"):
            assert exported_ids(system.review.export_queue(admin_a, {}, file_format)) == [ids["A"]]

    def test_a_unit_admin_cannot_reach_another_units_dossier_by_id(self, system, three_units):
        casts, ids = three_units
        admin_a = casts["A"].unit_admin.to_dict()
        for call in (lambda: system.review.queue_item(admin_a, ids["B"]),
                     lambda: system.review.decisions_of(admin_a, ids["B"]),
                     lambda: system.decide(admin_a, ids["B"], {"action": "approve", "opinion": "同意"})):
            with pytest.raises(OutOfScopeError) as raised:
                call()
            assert "不在您的管辖范围内" in raised.value.message
        assert system.dossier.get(ids["B"])["status"] == st.SUBMITTED  # nothing happened to it

    def test_a_district_admin_sees_the_units_under_them_and_never_another_district(self, system, three_units):
        casts, ids = three_units
        admin_x = casts["A"].district_admin.to_dict()
        seen = {item["dossier_id"] for item in system.review.queue(admin_x, {"per_page": 50})["items"]}
        assert seen == {ids["A"], ids["C"]}
        assert set(exported_ids(system.review.export_queue(admin_x, {}, "xlsx"))) == {ids["A"], ids["C"]}
        assert set(exported_ids(system.review.export_queue(admin_x, {"q": "申报人B"}, "csv"))) == set()
        assert system.review.queue(admin_x, {"district_id": casts["B"].district_id})["total"] == 0
        with pytest.raises(OutOfScopeError):
            system.review.queue_item(admin_x, ids["B"])
        assert system.review.queue_item(admin_x, ids["C"])["unit_id"] == casts["C"].unit_id

    def test_the_city_and_the_auditor_see_every_unit(self, system, three_units):
        casts, ids = three_units
        for who in (CITY, AUDITOR):
            for name, cast in casts.items():
                assert system.review.queue(who.to_dict(), {"unit_id": cast.unit_id})["items"][0]["dossier_id"] == ids[name]

    def test_progress_counts_by_district_for_the_city_and_by_unit_for_a_district(self, system, three_units):
        casts, _ = three_units
        city = system.review.progress(CITY.to_dict(), {"review_year": 2026})
        groups = {group["org_id"]: group for group in city["groups"]}
        assert city["grouping"] == "district"
        assert groups[casts["A"].district_id]["counts"] == {st.SUBMITTED: 2}
        assert groups[casts["B"].district_id]["total"] == 1
        district = system.review.progress(casts["A"].district_admin.to_dict(), {})
        assert {group["org_id"] for group in district["groups"]} == {casts["A"].unit_id, casts["C"].unit_id}
        assert district["total"] == 2 and district["labels"] == {st.SUBMITTED: "待单位审核"}

    def test_roles_without_a_queue_are_refused(self, system, three_units):
        casts, _ = three_units
        with pytest.raises(ReviewNotAllowedError):
            system.review.queue(casts["A"].applicant.to_dict(), {})


class TestBulkSelectionAndExport:
    def test_every_matching_id_comes_with_a_page_for_bulk_selection(self, system):
        cast = system.new_cast()
        ids = [system.submitted(cast) for _ in range(3)]
        for dossier_id in ids:
            system.wait_projected(dossier_id)
        page = system.review.queue(cast.unit_admin.to_dict(), {"per_page": 1, "include_ids": True})
        assert (len(page["items"]), page["total"]) == (1, 3)
        assert sorted(page["ids"]) == sorted(ids)
        second = system.review.queue(cast.unit_admin.to_dict(), {"per_page": 1, "page": 2})
        assert second["items"][0]["dossier_id"] != page["items"][0]["dossier_id"]

    def test_exports_show_identitys_masked_id_number_never_the_full_one(self, system):
        account_id = system.registered_applicant("赵敏")
        cast = system.new_cast(applicant_id=account_id)
        dossier_id = system.submitted(cast, applicant_name="赵敏")
        system.wait_projected(dossier_id)
        masked = system.identity.get_account(account_id)["id_number_masked"]
        answer = system.review.export_queue(CITY.to_dict(), {"unit_id": cast.unit_id}, "csv")
        content = base64.b64decode(answer["content_base64"]).decode("utf-8-sig")
        (row,) = list(csv.reader(io.StringIO(content)))[1:]
        assert (row[1], row[2], row[-1]) == ("赵敏", masked, dossier_id)
        assert "*" in masked and len(masked) == 18
        workbook = system.review.export_queue(cast.unit_admin.to_dict(), {}, "xlsx")
        sheet = load_workbook(io.BytesIO(base64.b64decode(workbook["content_base64"]))).active
        assert sheet["C2"].value == masked and workbook["filename"].endswith(".xlsx")

    def test_an_unknown_export_format_is_refused(self, system):
        from shared.errors import ValidationFailed

        with pytest.raises(ValidationFailed) as raised:
            system.review.export_queue(CITY.to_dict(), {}, "pdf")
        assert "format" in raised.value.fields


def test_health_answers(system):
    report = system.review.health()
    assert report["status"] == "ok" and report["queue_rows"] >= 0
