"""Fees and certificates through the gateway, with the real payment and certificate services: the
order the city's acceptance creates, paying it (cashier, signed notification to the notify route),
refusals at the notify route that change nothing, receipt, ledger and reconciliation; withdrawal and
the refund the simulator confirms; then the committee, publicity, the certificate, its download,
public verification (rate limited), and revocation seen everywhere."""
import io
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from pypdf import PdfReader

from tests.e2e.money_support import accepted, certify, ledger_of, notify, payment_id_of, status_of
from tests.e2e.review_support import UNIT_A, Staff, person_name, submitted_dossier, today
from tests.waiting import wait_until


def pdf_text(data):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


@pytest.fixture(scope="module")
def paid(system, staff, cluster_rpc):
    """One applicant of 甲 whose dossier is accepted and paid through the gateway; what was seen on the way."""
    client, city = system["client"], staff["city_admin"]
    name = person_name("周")
    applicant, dossier_id = submitted_dossier(client, name, UNIT_A)
    other, _ = submitted_dossier(client, person_name("吴"), UNIT_A)
    seen = {"order": accepted(staff, applicant, dossier_id)}
    order_id = seen["order"]["order_id"]
    seen["schedule"] = client.get("/api/v1/fee-schedules/2026").json
    seen["other_pays"] = other.post(f"/api/v1/orders/{order_id}/pay")
    seen["other_orders"] = other.get(f"/api/v1/dossiers/{dossier_id}/orders")
    seen["early_receipt"] = applicant.get(f"/api/v1/orders/{order_id}/receipt")
    seen["pay"] = applicant.post(f"/api/v1/orders/{order_id}/pay")
    seen["cashier_page"] = client.get(urlparse(seen["pay"].json["cashier_url"]).path)
    # The payer confirms at the simulator's cashier; we hold the signed notification to send ourselves.
    signed = cluster_rpc.payment.cashier_confirm(payment_id_of(seen["pay"].json["cashier_url"]))
    ledger_before = ledger_of(city, dossier_id)
    tampered = signed["body"].replace(str(seen["order"]["amount_fen"]), "1")
    seen["tampered"] = notify(client, signed, tampered)
    seen["after_tampered"] = (applicant.get(f"/api/v1/orders/{order_id}/receipt").status,
                              ledger_of(city, dossier_id) == ledger_before, status_of(applicant, dossier_id))
    seen["accepted"] = notify(client, signed)
    seen["fee_paid"] = wait_until(lambda: status_of(applicant, dossier_id) == "fee_paid", what="fee_paid")
    ledger_after = ledger_of(city, dossier_id)
    seen["replayed"] = notify(client, signed)
    seen["ledger_unchanged_by_replay"] = ledger_of(city, dossier_id) == ledger_after
    seen["ledger"] = ledger_after
    seen["receipt"] = applicant.get(f"/api/v1/orders/{order_id}/receipt")
    seen["other_receipt"] = other.get(f"/api/v1/orders/{order_id}/receipt")
    seen["view"] = applicant.get(f"/api/v1/dossiers/{dossier_id}").json
    return {"applicant": applicant, "other": other, "id": dossier_id, "name": name, "seen": seen,
            "order_id": order_id}


class TestPayingTheReviewFee:
    def test_acceptance_creates_one_order_at_the_fee_of_the_years_notice(self, paid):
        order, schedule = paid["seen"]["order"], paid["seen"]["schedule"]
        assert order["status"] == "pending" and order["dossier_id"] == paid["id"]
        assert order["amount_fen"] == schedule["review_fees_fen"]["intermediate"]
        assert order["notice_version"] == schedule["notice_version"] > 0 and schedule["configured"]

    def test_fees_are_not_set_through_payment_any_more(self, paid, staff):
        fees = {"primary": 100, "intermediate": 200, "associate_senior": 300, "senior": 400}
        refused = staff["city_admin"].put("/api/v1/fee-schedules/2026", json_body={"review_fees_fen": fees})
        assert refused.status == 409 and refused.json["error"]["code"] == "fees_set_by_notice"
        assert "年度评审通知" in refused.json["error"]["message"]

    def test_nobody_else_pays_or_sees_the_order(self, paid):
        assert paid["seen"]["other_pays"].status == 403
        assert paid["seen"]["other_orders"].status == 404

    def test_paying_leads_to_the_cashier_which_shows_the_amount(self, paid, system):
        pay = paid["seen"]["pay"]
        assert pay.status == 200 and pay.json["cashier_url"].startswith(system["client"].base_url + "/payments/")
        page = paid["seen"]["cashier_page"]
        assert page.status == 200 and paid["seen"]["order"]["amount_yuan"] in page.body.decode("utf-8")

    def test_a_tampered_notification_is_refused_and_changes_nothing(self, paid):
        seen = paid["seen"]
        assert seen["tampered"].status == 401 and seen["tampered"].json["error"]["code"] == "bad_signature"
        receipt_status, ledger_unchanged, status = seen["after_tampered"]
        assert receipt_status == 409 and ledger_unchanged and status == "accepted"

    def test_the_signed_notification_is_taken_and_the_dossier_records_the_fee(self, paid):
        accepted = paid["seen"]["accepted"]
        assert accepted.status == 200 and accepted.json["code"] == "SUCCESS"
        assert accepted.json["order_id"] == paid["order_id"] and paid["seen"]["fee_paid"]

    def test_a_replayed_notification_is_refused_without_a_second_payment(self, paid):
        replayed = paid["seen"]["replayed"]
        assert replayed.status >= 400 and replayed.json["error"]["code"] == "replayed_notification"
        assert paid["seen"]["ledger_unchanged_by_replay"]
        payments = [row for row in paid["seen"]["ledger"] if row["kind"] == "payment"]
        assert len(payments) == 1 and payments[0]["amount_fen"] == paid["seen"]["order"]["amount_fen"]

    def test_the_receipt_is_a_pdf_for_the_payer_only(self, paid):
        receipt = paid["seen"]["receipt"]
        assert receipt.status == 200 and receipt.headers["Content-Type"] == "application/pdf"
        text = pdf_text(receipt.body)
        assert paid["order_id"] in text and paid["seen"]["order"]["amount_yuan"] in text
        assert paid["seen"]["other_receipt"].status == 403

    def test_the_composed_view_shows_the_paid_order(self, paid):
        payment = paid["seen"]["view"]["payment"]
        assert payment["paid"] and payment["orders"][0]["status"] == "paid"
        assert paid["seen"]["view"]["certificate"] is None

    def test_reconciliation_finds_the_day_in_order_and_is_for_finance_staff(self, paid, staff):
        day = today().isoformat()
        report = staff["city_admin"].get("/api/v1/payments/reconciliation", params={"date": day, "format": "json"})
        assert report.status == 200 and report.json["date"] == day
        assert paid["order_id"] not in {item.get("order_id") for item in report.json["mismatches"]}
        download = staff["auditor"].get("/api/v1/payments/reconciliation", params={"date": day})
        assert download.status == 200 and download.headers["Content-Type"].startswith("text/csv")
        assert download.body.decode("utf-8").startswith("\ufeff")
        assert paid["applicant"].get("/api/v1/payments/reconciliation", params={"date": day}).status == 403
        missing = staff["city_admin"].get("/api/v1/payments/reconciliation")
        assert missing.status == 422 and "date" in missing.json["error"]["fields"]


class TestWithdrawingAfterPayment:
    def test_the_fee_is_refunded_through_the_provider_and_confirmed_by_its_notification(self, system, staff,
                                                                                        cluster_rpc):
        applicant, dossier_id = submitted_dossier(system["client"], person_name("郑"), UNIT_A)
        order = accepted(staff, applicant, dossier_id)
        pay = applicant.post(f"/api/v1/orders/{order['order_id']}/pay")
        signed = cluster_rpc.payment.cashier_confirm(payment_id_of(pay.json["cashier_url"]))
        assert notify(system["client"], signed).status == 200
        wait_until(lambda: status_of(applicant, dossier_id) == "fee_paid", what="fee_paid")
        assert applicant.post(f"/api/v1/dossiers/{dossier_id}/withdraw", json_body={"reason": "工作调动"}).status == 200
        # The simulator settles the refund and notifies the gateway's notify route by itself.
        def refunded():
            (latest, *_) = applicant.get(f"/api/v1/dossiers/{dossier_id}/orders").json["items"]
            return latest if latest["status"] == "refunded" else None

        assert wait_until(refunded, seconds=30, what="the refund notification")["order_id"] == order["order_id"]
        kinds = [row["kind"] for row in ledger_of(staff["city_admin"], dossier_id)]
        assert kinds.count("payment") == 1 and kinds.count("refund") == 1


@pytest.fixture(scope="module")
def certified(system, staff, paid, cluster_rpc):
    """The paid dossier through the committee and publicity to its certificate; then revoked."""
    client, city = system["client"], staff["city_admin"]
    applicant, dossier_id = paid["applicant"], paid["id"]
    seen = {"view": certify(system, staff, applicant, dossier_id)}
    certificate = seen["view"]["certificate"]
    code = parse_qs(urlparse(certificate["verify_url"]).query)["code"][0]
    seen["pdf"] = applicant.get(f"/api/v1/dossiers/{dossier_id}/certificate")
    seen["other_pdf"] = paid["other"].get(f"/api/v1/dossiers/{dossier_id}/certificate")
    seen["verify"] = client.get("/api/v1/certificates/verify", params={"number": certificate["number"], "code": code})
    seen["wrong_code"] = client.get("/api/v1/certificates/verify", params={"number": certificate["number"],
                                                                           "code": "ZZZZZZ"})
    seen["applicant_revokes"] = applicant.post(f"/api/v1/certificates/{certificate['number']}/revoke",
                                               json_body={"reason": "自行撤销"})
    seen["revoke_without_reason"] = city.post(f"/api/v1/certificates/{certificate['number']}/revoke", json_body={})
    seen["verify_after_refusals"] = client.get("/api/v1/certificates/verify",
                                               params={"number": certificate["number"], "code": code})
    seen["revoke"] = city.post(f"/api/v1/certificates/{certificate['number']}/revoke",
                               json_body={"reason": "经查实,申报业绩材料弄虚作假", "fraud": True})
    seen["verify_revoked"] = client.get("/api/v1/certificates/verify",
                                        params={"number": certificate["number"], "code": code})
    seen["status_after_revoke"] = wait_until(lambda: status_of(applicant, dossier_id) == "revoked" and "revoked",
                                             what="title_revoked on the dossier")
    seen["pdf_after_revoke"] = applicant.get(f"/api/v1/dossiers/{dossier_id}/certificate")
    seen["registry"] = city.get(f"/api/v1/certificates/{certificate['number']}")
    applicant_id = seen["view"]["dossier"]["applicant_id"]
    seen["sanctions"] = wait_until(lambda: cluster_rpc.identity.sanctions_of(applicant_id),
                                   what="the fraud sanction of the revoked title")
    seen["fraud_bar_years"] = cluster_rpc.dossier.get_notice(today().year)["policy"]["sanction_bar_years"]["fraud"]
    return {"seen": seen, "certificate": certificate, "code": code}


class TestTheCertificate:
    def test_the_holder_downloads_a_pdf_holding_the_fields(self, certified, paid):
        pdf, certificate = certified["seen"]["pdf"], certified["certificate"]
        assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
        text = pdf_text(pdf.body)
        for expected in (paid["name"], certificate["number"], certificate["verification_code"],
                         certificate["fields"]["issuing_body"], certificate["fields"]["id_number_masked"]):
            assert expected in text, expected

    def test_nobody_else_downloads_it(self, certified):
        assert certified["seen"]["other_pdf"].status == 404

    def test_public_verification_shows_valid_holder_masked_and_title(self, certified, paid):
        answer = certified["seen"]["verify"]
        assert answer.status == 200 and answer.json["valid"] and not answer.json["revoked"]
        assert answer.json["holder"]["name"] == paid["name"]
        assert answer.json["holder"]["id_number_masked"] == certified["certificate"]["fields"]["id_number_masked"]
        assert "*" in answer.json["holder"]["id_number_masked"]
        assert answer.json["title"] == certified["certificate"]["fields"]["qualification"]

    def test_it_names_the_committee_that_reviewed_the_dossier(self, certified):
        reviewed_by = certified["seen"]["view"]["reviewed_by"]
        assert certified["certificate"]["fields"]["committee"] == reviewed_by
        assert {"label": "评审委员会", "value": reviewed_by} in certified["certificate"]["face"]

    def test_a_wrong_code_finds_nothing(self, certified):
        answer = certified["seen"]["wrong_code"]
        assert answer.status == 200 and not answer.json["found"] and not answer.json["valid"]


class TestRevocation:
    def test_only_the_city_admin_revokes_and_a_reason_is_required(self, certified):
        seen = certified["seen"]
        assert seen["applicant_revokes"].status == 403
        assert seen["revoke_without_reason"].status == 422 and "reason" in seen["revoke_without_reason"].json["error"]["fields"]
        assert seen["verify_after_refusals"].json["valid"]

    def test_revoked_is_shown_publicly_with_date_and_reason(self, certified):
        answer = certified["seen"]["verify_revoked"].json
        assert answer["revoked"] and not answer["valid"] and answer["reason"] == "经查实,申报业绩材料弄虚作假"
        assert answer["revoked_at"].startswith(today().isoformat())

    def test_revoking_for_fraud_sanctions_the_holder_for_the_years_bar(self, certified):
        (sanction,) = certified["seen"]["sanctions"]
        found_on = date.fromisoformat(sanction["sanctioned_on"])
        assert found_on == today() and sanction["kind"] == "fraud"
        assert date.fromisoformat(sanction["bars_until"]).year == found_on.year + certified["seen"]["fraud_bar_years"]

    def test_the_dossier_and_the_registry_show_it_revoked_and_the_holder_cannot_download(self, certified):
        seen = certified["seen"]
        assert seen["status_after_revoke"] == "revoked"
        assert seen["registry"].json["status"] == "revoked"
        assert seen["pdf_after_revoke"].status == 403


class TestVerificationLimit:
    def test_one_address_is_limited_while_another_still_verifies(self, system, certified):
        client, number = system["client"], certified["certificate"]["number"]
        params = {"number": number, "code": "AAAAAA"}
        answers = [client.get("/api/v1/certificates/verify", params=params, headers={"X-Forwarded-For": "198.51.100.7"})
                   for _ in range(25)]
        limited = [answer for answer in answers if answer.status == 429]
        assert limited and all(answer.status == 200 for answer in answers[:len(answers) - len(limited)])
        assert int(limited[0].headers["Retry-After"]) > 0 and limited[0].json["error"]["code"] == "rate_limited"
        other = client.get("/api/v1/certificates/verify", params=params, headers={"X-Forwarded-For": "198.51.100.8"})
        assert other.status == 200


class TestTheSurface:
    def test_the_openapi_document_lists_the_fee_and_certificate_routes(self, system):
        paths = system["client"].get("/api/v1/openapi.json").json["paths"]
        for path, method in (("/api/v1/dossiers/{dossier_id}/orders", "get"), ("/api/v1/orders/{order_id}/pay", "post"),
                             ("/api/v1/payments/notify/{provider}", "post"), ("/api/v1/payments/reconciliation", "get"),
                             ("/api/v1/dossiers/{dossier_id}/certificate", "get"), ("/api/v1/certificates/verify", "get"),
                             ("/api/v1/certificates/{number}/revoke", "post")):
            assert method in paths.get(path, {}), path

    def test_health_and_metrics_report_payment_and_certificate(self, system):
        report = system["client"].get("/health").json["services"]
        for service in ("payment", "certificate"):
            assert report[service]["status"] == "ok" and report[service]["failed_event_handlings"] == 0
        metrics = system["client"].get("/metrics").body.decode("utf-8")
        assert 'service_up{service="certificate"} 1.0' in metrics
        assert 'service_failed_event_handlings{service="payment"} 0.0' in metrics
