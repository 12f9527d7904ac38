"""The auditor's search by a full resident ID number (issue 16 item 1): identity says whose number it is
(the dossier list holds none), the dossier is found, a malformed number is named beside its field, a
well-formed number nobody registered finds nothing, and the access log keeps the number masked."""
import pytest
from playwright.sync_api import expect

from shared.idnumbers import mask_resident_id
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.test_applicant_journey_http import PASSWORD, join_unit
from tests.e2e.test_pages_journey import sign_in
from tests.factories import mobile_phone, resident_id
from tests.waiting import wait_until

expect.set_options(timeout=15000)


@pytest.fixture(scope="module")
def registered(system):
    client, id_number, phone = system["client"], resident_id(), mobile_phone()
    answer = client.post("/api/v1/auth/register", json_body={"name": "皇甫检索", "id_number": id_number,
                                                              "phone": phone, "password": PASSWORD})
    assert answer.status == 201, answer
    applicant = login(client, phone, PASSWORD)
    join_unit(client, applicant)
    created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                            "specialty": "电气工程", "level": "intermediate"})
    assert created.status == 201, created
    return {"id_number": id_number, "dossier_id": created.json["id"], "account_id": answer.json["account_id"]}


def test_a_full_id_number_finds_that_applicants_dossier_and_only_it(registered, new_page, system):
    page = new_page()
    sign_in(page, "auditor", DEMO_PASSWORD)
    page.goto("/audit")
    page.fill("#f-id_number", registered["id_number"])
    page.click("#audit-search-submit")
    expect(page.locator("#audit-total")).to_contain_text("共 1 件")
    expect(page.locator(f"#audit-row-{registered['dossier_id']}")).to_contain_text(mask_resident_id(registered["id_number"]))

    # The access log has the search, with the number masked.
    auditor = login(system["client"], "auditor")
    masked = mask_resident_id(registered["id_number"])

    def searched():
        items = auditor.get("/api/v1/audit/access", params={"kind": "audit", "per_page": 200}).json["items"]
        return [item["path"] for item in items if masked in item["path"]]

    paths = wait_until(searched, seconds=20, what="the search in the access log")
    assert all(registered["id_number"] not in path for path in paths)


def test_a_malformed_number_is_named_and_an_unknown_one_finds_nothing(new_page):
    page = new_page()
    sign_in(page, "auditor", DEMO_PASSWORD)
    page.goto("/audit?id_number=123")
    expect(page.locator("#err-id_number")).to_be_visible()
    unknown = resident_id()
    page.goto(f"/audit?id_number={unknown}")
    expect(page.locator("#audit-total")).to_contain_text("共 0 件")


def test_the_lookup_is_the_auditors_alone(registered, system):
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.rpc import register_platform_errors

    register_platform_errors()
    with ClusterRpcProxy({"AMQP_URI": system["amqp_uri"]}, timeout=20) as rpc:
        city = login(system["client"], "city_admin").get("/api/v1/me").json
        (role,) = [role for role in city["roles"] if role["role"] == "city_admin"]
        actor = {"account_id": city.get("account_id") or city["id"], "role": "city_admin", "org_id": role["org_id"]}
        with pytest.raises(Exception, match="仅限"):
            rpc.identity.find_by_id_number(actor, registered["id_number"])
