"""Steps shared by the fee and certificate tests (API and pages): acceptance and its order, the
simulator's cashier and notify route, and a paid dossier's way through committee and publicity to
its certificate."""
from urllib.parse import urlparse

from tests.e2e.review_support import (
    DISTRICT_ADMINS, UNIT_A, approve, committee_with_pool, expert_unit, open_meeting, recommended,
)
from tests.waiting import wait_until

# Nine experts from outside 甲 (its own experts are never drawn for its dossiers).
DRAWN = [number for number in range(1, 16) if expert_unit(number) != UNIT_A][:9]


def status_of(applicant, dossier_id):
    return applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["status"]


def accepted(staff, applicant, dossier_id):
    """Unit, district and city approval of a 甲 dossier: it is accepted and its review-fee order appears."""
    recommended(staff, UNIT_A, dossier_id)
    approve(staff[DISTRICT_ADMINS[UNIT_A]], dossier_id)
    approve(staff["city_admin"], dossier_id)
    (order,) = wait_until(lambda: applicant.get(f"/api/v1/dossiers/{dossier_id}/orders").json["items"],
                          what="the review-fee order")
    return order


def payment_id_of(cashier_url):
    return urlparse(cashier_url).path.rstrip("/").rsplit("/", 1)[-1]


def notify(client, signed, body=None):
    """POST a signed notification to the notify route as the provider does (optionally another body)."""
    return client.post("/api/v1/payments/notify/simulator", data=(body or signed["body"]).encode("utf-8"),
                       headers=signed["headers"])


def ledger_of(city, dossier_id):
    return city.get("/api/v1/payments/ledger", params={"dossier_id": dossier_id}).json["items"]


def certify(system, staff, applicant, dossier_id):
    """A paid 甲 dossier voted through by a committee, publicised, its window over: waits for the
    certificate (dossier certified, PDF stored) and returns the composed dossier view, with the
    name of the committee that reviewed it under ``reviewed_by`` (what the certificate must print)."""
    city, secretary = staff["city_admin"], staff["eng_secretary"]
    committee = committee_with_pool(city)
    meeting = open_meeting(secretary, committee["id"], [dossier_id], DRAWN)
    for number in DRAWN:
        ballot = staff.expert(number).post(f"/api/v1/meetings/{meeting['id']}/ballots",
                                           json_body={"dossier_id": dossier_id, "choice": "agree"})
        assert ballot.status == 201, ballot
    assert secretary.post(f"/api/v1/meetings/{meeting['id']}/close").status == 200
    published = city.post("/api/v1/publicity", json_body={"dossier_ids": [dossier_id]})
    assert published.status == 201, published
    clock = system["review_clock"]
    try:
        clock.travel(days=10)  # past the window's last working day
        assert city.post("/api/v1/review/timers/run").status == 200
    finally:
        clock.reset()

    def certificate_ready():
        view = applicant.get(f"/api/v1/dossiers/{dossier_id}").json
        ready = view["dossier"]["status"] == "certified" and (view["certificate"] or {}).get("pdf_ready")
        return view if ready else None

    return dict(wait_until(certificate_ready, seconds=40, what="the certificate"), reviewed_by=committee["name"])
