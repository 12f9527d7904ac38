"""Steps of the review chain over HTTP, shared by the review API and page tests: applicants who submit,
reviewers who decide, unit publicity and batches, fees (recorded as the payment service would),
committees, meetings with a controlled draw, and the experts who vote."""
import io
import random
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.identity.seed import ENGINEERING_COMMITTEE, seed_id
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.test_applicant_journey_http import PASSWORD, fill_sections, join_unit, upload, upload_required
from tests.factories import mobile_phone, resident_id
from tests.pdfs import make_pdf
from shared.clock import BEIJING, beijing_today

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNIT_A, UNIT_B = "演示单位甲", "演示单位乙"
UNIT_ADMINS = {UNIT_A: "unit_a_admin", UNIT_B: "unit_b_admin"}
DISTRICT_ADMINS = {UNIT_A: "wuhua_admin", UNIT_B: "panlong_admin"}
# The seeded experts expert01…expert15 work in 甲, 乙, 丙, 丁, 戊, 甲, 乙, … (services/identity/seed.py).
EXPERT_UNITS = ["演示单位甲", "演示单位乙", "演示单位丙", "演示单位丁", "演示单位戊"]
SYSTEM = {"account_id": "system", "role": "system"}
COMMITTEE_OFFICE = seed_id("org", ENGINEERING_COMMITTEE)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"


def expert_id(number):
    return seed_id("account", f"expert{number:02d}")


def expert_unit(number):
    return EXPERT_UNITS[(number - 1) % len(EXPERT_UNITS)]


def today():
    return beijing_today()


def person_name(surname):
    return surname + "".join(random.choice(_GIVEN) for _ in range(2))


def unique_resident_id():
    """A valid ID number with a random birth date (the default factory repeats within a long run)."""
    born = date(1978, 1, 1) + timedelta(days=random.randrange(0, 15 * 365))
    return resident_id(birth=born.strftime("%Y%m%d"))


class Staff:
    """Signed-in API clients of the demo staff, each logged in once; *review_clock* is review's time,
    which moves on when they wait for a unit publicity to end (``unit_publicity_over``)."""

    def __init__(self, client, review_clock=None):
        self.client, self.review_clock, self._clients = client, review_clock, {}

    def __getitem__(self, username):
        if username not in self._clients:
            self._clients[username] = login(self.client, username, DEMO_PASSWORD)
        return self._clients[username]

    def expert(self, number):
        return self[f"expert{number:02d}"]


def submitted_dossier(client, name, unit=UNIT_A, specialty="给排水工程", pdf=None, phone=None):
    """A new applicant of *unit* with a complete, submitted intermediate engineering dossier: ``(api, id)``."""
    phone = phone or mobile_phone()
    answer = client.post("/api/v1/auth/register", json_body={"name": name, "id_number": unique_resident_id(),
                                                              "phone": phone, "password": PASSWORD})
    assert answer.status == 201, answer
    applicant = login(client, phone, PASSWORD)
    join_unit(client, applicant, unit, UNIT_ADMINS[unit])
    created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                            "specialty": specialty, "level": "intermediate"})
    assert created.status == 201, created
    dossier_id = created.json["id"]
    fill_sections(applicant, dossier_id, name)
    assert upload(applicant, dossier_id, pdf or make_pdf(pages=2)).status == 201
    upload_required(applicant, dossier_id)
    submitted = applicant.post(f"/api/v1/dossiers/{dossier_id}/submit")
    assert submitted.status == 200, submitted
    return applicant, dossier_id


def printed_pdf(*lines):
    """A two-page PDF with visible text (so a screenshot of the inline viewer shows something)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    for page in (1, 2):
        document.setFont("Helvetica-Bold", 28)
        for offset, line in enumerate(lines):
            document.drawString(72, 760 - offset * 40, f"{line} ({page}/2)" if offset == 0 else line)
        document.rect(60, 300, 475, 360)
        document.showPage()
    document.save()
    return buffer.getvalue()


def seen_version(reviewer, dossier_id):
    """The dossier version the reviewer sees now (what their page would carry); 1 for a dossier they may
    not see (refused before any version matters)."""
    answer = reviewer.get(f"/api/v1/dossiers/{dossier_id}")
    return answer.json["dossier"]["version"] if answer.status == 200 else 1


def decide(reviewer, dossier_id, action="approve", **fields):
    """A decision made on the version the reviewer sees now, unless *fields* name another one."""
    body = {"action": action, **({"opinion": "同意"} if action == "approve" else {}), **fields}
    body.setdefault("expected_version", seen_version(reviewer, dossier_id))
    return reviewer.post(f"/api/v1/review/dossiers/{dossier_id}/decisions", json_body=body)


def approve(reviewer, *dossier_ids):
    for dossier_id in dossier_ids:
        answer = decide(reviewer, dossier_id)
        assert answer.status == 200, answer


def publicise_in_unit(unit_admin, *dossier_ids):
    """Unit publicity from today: it may neither predate the unit approval nor be backdated, so it is
    over only once its working days have passed (``unit_publicity_over``)."""
    return unit_admin.post("/api/v1/review/unit-publicity",
                           json_body={"dossier_ids": list(dossier_ids), "start": today().isoformat()})


@contextmanager
def unit_publicity_over(review_clock, publicity_end):
    """Inside the block it is, for review, the morning after the unit publicity ending *publicity_end*
    (ISO date): the batch may go up. Afterwards review's clock is where it was."""
    before = review_clock.offset
    morning = datetime.combine(date.fromisoformat(publicity_end) + timedelta(days=1), datetime.min.time(),
                               tzinfo=BEIJING) + timedelta(hours=9)
    review_clock.travel(seconds=(morning - review_clock()).total_seconds())
    try:
        yield
    finally:
        review_clock.offset = before


def recommended(staff, unit, *dossier_ids):
    """Unit approval, unit publicity and, once it is over, the batch sent upward."""
    unit_admin = staff[UNIT_ADMINS[unit]]
    approve(unit_admin, *dossier_ids)
    publicity = publicise_in_unit(unit_admin, *dossier_ids)
    assert publicity.status == 200, publicity
    with unit_publicity_over(staff.review_clock, publicity.json["end"]):
        batch = unit_admin.post("/api/v1/review/batches", json_body={"dossier_ids": list(dossier_ids)})
    assert batch.status == 201, batch


def accepted_and_paid(staff, cluster_rpc, unit, *dossier_ids):
    """District and city approval, then the review fee as the payment service records it (as the system)."""
    approve(staff[DISTRICT_ADMINS[unit]], *dossier_ids)
    approve(staff["city_admin"], *dossier_ids)
    for dossier_id in dossier_ids:
        paid = cluster_rpc.dossier.record_fee_paid(SYSTEM, dossier_id, f"order-{dossier_id[:8]}", 16000)
        assert paid["status"] == "fee_paid", paid


def committee_with_pool(city):
    """An intermediate engineering committee (by series: 15 members) with all fifteen demo experts."""
    committee = city.post("/api/v1/committees", json_body={
        "name": f"昆明市工程系列中级评审委员会(测试{random.randrange(10 ** 6)})", "series": "engineering",
        "levels": ["intermediate"], "organised_by": "series", "organising_body": "昆明市人力资源和社会保障局",
        "office_org_id": COMMITTEE_OFFICE, "valid_until": (today() + timedelta(days=700)).isoformat(),
        "member_count": 15})
    assert committee.status == 201, committee
    experts = [{"expert_id": expert_id(n), "title": "高级工程师", "specialty": "给排水工程"} for n in range(1, 16)]
    pool = city.post(f"/api/v1/committees/{committee.json['id']}/experts", json_body={"experts": experts})
    assert pool.status == 200 and pool.json["pool_complete"], pool
    return committee.json


def open_meeting(secretary, committee_id, dossier_ids, drawn):
    """A meeting whose draw yields exactly the experts numbered *drawn* (the rest are unavailable), all
    of them attending, opened for the vote. Returns the meeting as the office sees it."""
    meeting = secretary.post("/api/v1/meetings", json_body={"committee_id": committee_id, "date": today().isoformat(),
                                                             "expert_count": len(drawn)})
    assert meeting.status == 201, meeting
    meeting_id = meeting.json["id"]
    assigned = secretary.post(f"/api/v1/meetings/{meeting_id}/dossiers", json_body={"dossier_ids": list(dossier_ids)})
    assert assigned.status == 200 and assigned.json["assigned"] == len(dossier_ids), assigned
    unavailable = [{"expert_id": expert_id(n), "reason": "会期冲突"} for n in range(1, 16) if n not in drawn]
    draw = secretary.post(f"/api/v1/meetings/{meeting_id}/draw", json_body={"exclusions": unavailable})
    assert draw.status == 200, draw
    assert {e["expert_id"] for e in draw.json["experts"]} == {expert_id(n) for n in drawn}
    present = [expert_id(n) for n in drawn]
    attendance = secretary.post(f"/api/v1/meetings/{meeting_id}/attendance", json_body={"expert_ids": present})
    assert attendance.status == 200 and attendance.json["met"], attendance
    opened = secretary.post(f"/api/v1/meetings/{meeting_id}/open")
    assert opened.status == 200, opened
    return opened.json


def vote(expert, meeting_id, dossier_id, choice="agree"):
    return expert.post(f"/api/v1/meetings/{meeting_id}/ballots", json_body={"dossier_id": dossier_id, "choice": choice})
