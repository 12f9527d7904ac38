"""The applicant's journey over HTTP through the gateway, and who may see what."""
import uuid

import pytest

from gateway.storage import EvidenceStore
from tests.e2e.conftest import login
from tests.factories import (
    annual_assessments, basic_info, continuing_education, education, mobile_phone, resident_id, review_form,
    work_experience,
)
from tests.pdfs import encrypted_pdf, make_pdf, png_bytes, truncated_pdf

PASSWORD = "Shenbao2026"


def register(client, name="王芳"):
    """A newly registered applicant, signed in: ``(api, account id, phone)``."""
    id_number, phone = resident_id(), mobile_phone()
    answer = client.post("/api/v1/auth/register",
                         json_body={"name": name, "id_number": id_number, "phone": phone, "password": PASSWORD})
    assert answer.status == 201, answer
    return login(client, phone, PASSWORD), answer.json["account_id"], phone


def register_and_login(client, name="王芳"):
    applicant, account_id, _ = register(client, name)
    return applicant, account_id


def new_draft(client, name, specialty="电气工程"):
    """A new applicant of 演示单位甲 with an empty intermediate engineering draft: ``(api, phone, dossier id)``."""
    applicant, _, phone = register(client, name)
    join_unit(client, applicant)
    created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                            "specialty": specialty, "level": "intermediate"})
    assert created.status == 201, created
    return applicant, phone, created.json["id"]


def join_unit(client, applicant, unit_name="演示单位甲", admin="unit_a_admin"):
    units = client.get("/api/v1/orgs", params={"type": "unit", "q": unit_name}).json["items"]
    unit_id = next(unit["id"] for unit in units if unit["name"] == unit_name)
    membership = applicant.post("/api/v1/memberships", json_body={"unit_id": unit_id})
    assert membership.status == 201, membership
    confirmed = login(client, admin).post(f"/api/v1/memberships/{membership.json['id']}/confirm")
    assert confirmed.status == 200, confirmed
    return unit_id


def fill_sections(applicant, dossier_id, name):
    sections = {
        "basic_info": basic_info(),
        "education": {"entries": education()},
        "work_experience": {"entries": work_experience()},
        "continuing_education": {"entries": continuing_education()},
        "annual_assessments": {"entries": annual_assessments()},
        "review_form": review_form(),
        "commitment": {"statement_version": "2026-1", "signed_name": name},
    }
    for section, data in sections.items():
        answer = applicant.put(f"/api/v1/dossiers/{dossier_id}/sections/{section}", json_body=data)
        assert answer.status == 200, (section, answer)
    answer = applicant.post(f"/api/v1/dossiers/{dossier_id}/achievements",
                            json_body={"kind": "项目", "title": "某污水处理厂工程", "date": "2021-06-01"})
    assert answer.status == 201, answer


def upload(applicant, dossier_id, content, filename="学历证书.pdf", category="diploma"):
    return applicant.upload(f"/api/v1/dossiers/{dossier_id}/materials", fields={"category": category},
                            file_field="file", filename=filename, content=content)


def upload_required(applicant, dossier_id):
    """Upload one distinct PDF for each file the dossier's 必备材料清单 (``/required-materials``) still asks
    for, with its category, year and achievement; the uploaded materials."""
    checklist = applicant.get(f"/api/v1/dossiers/{dossier_id}/required-materials")
    assert checklist.status == 200, checklist
    uploaded = []
    for item in checklist.json["items"]:
        for slot in item["slots"]:
            for _ in range(slot["missing"]):
                fields = {"category": item["categories"][0]}
                if slot["year"] is not None:
                    fields["year"] = str(slot["year"])
                if slot["achievement_id"]:
                    fields["achievement_id"] = slot["achievement_id"]
                answer = applicant.upload(f"/api/v1/dossiers/{dossier_id}/materials", fields=fields, file_field="file",
                                          filename=f"{slot['name']}{item['label'].split('(')[0]}{len(uploaded) + 1}.pdf".replace("/", ""),
                                          content=make_pdf(pages=1, padding=len(uploaded) + 1))
                assert answer.status == 201, answer
                uploaded.append(answer.json)
    return uploaded


@pytest.fixture(scope="module")
def journey(system):
    """One applicant of 演示单位甲 with a submitted dossier and one uploaded PDF."""
    client = system["client"]
    applicant, account_id = register_and_login(client, "王芳")
    join_unit(client, applicant)
    answer = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                           "specialty": "给排水工程", "level": "intermediate"})
    assert answer.status == 201, answer
    dossier_id = answer.json["id"]
    fill_sections(applicant, dossier_id, "王芳")
    pdf = make_pdf(pages=2)
    uploaded = upload(applicant, dossier_id, pdf)
    assert uploaded.status == 201, uploaded
    upload_required(applicant, dossier_id)
    eligibility = applicant.post(f"/api/v1/dossiers/{dossier_id}/eligibility")
    submitted = applicant.post(f"/api/v1/dossiers/{dossier_id}/submit")
    return {"client": client, "applicant": applicant, "account_id": account_id, "dossier_id": dossier_id,
            "material": uploaded.json, "pdf": pdf, "eligibility": eligibility, "submitted": submitted}


class TestApplicantJourney:
    def test_the_applicant_checks_eligibility_and_submits(self, journey):
        assert journey["eligibility"].status == 200
        assert journey["eligibility"].json == {"eligible": True, "failures": [], "ready": True, "problems": []}
        assert journey["submitted"].status == 200, journey["submitted"]
        assert journey["submitted"].json["status"] == "submitted"

    def test_the_upload_is_described_and_downloadable_by_the_applicant(self, journey):
        material = journey["material"]
        assert material["pages"] == 2 and material["size"] == len(journey["pdf"])
        answer = journey["applicant"].get(f"/api/v1/dossiers/{journey['dossier_id']}/materials/{material['material_id']}")
        assert answer.status == 200 and answer.body == journey["pdf"]
        assert answer.headers["Content-Type"] == "application/pdf"

    def test_the_unit_admin_sees_it_in_the_queue_and_approves(self, journey):
        unit_admin = login(journey["client"], "unit_a_admin")
        listed = unit_admin.get("/api/v1/dossiers", params={"status": "submitted", "q": "王芳"}).json
        assert journey["dossier_id"] in [item["dossier_id"] for item in listed["items"]]
        version = unit_admin.get(f"/api/v1/dossiers/{journey['dossier_id']}").json["dossier"]["version"]
        decided = unit_admin.post(f"/api/v1/dossiers/{journey['dossier_id']}/decisions",
                                  json_body={"action": "approve", "opinion": "同意推荐", "expected_version": version})
        assert decided.status == 200 and decided.json["status"] == "unit_approved"

    def test_history_shows_every_step_with_its_actor(self, journey):
        history = journey["applicant"].get(f"/api/v1/dossiers/{journey['dossier_id']}/history").json["items"]
        types = [entry["type"] for entry in history]
        assert types[0] == "created" and "material_attached" in types and "submitted" in types
        assert {entry["actor"]["role"] for entry in history} >= {"applicant"}
        verify = journey["applicant"].get(f"/api/v1/dossiers/{journey['dossier_id']}/verify").json
        assert verify["ok"] is True and verify["events"] == len(history)

    def test_the_composed_view_and_openapi_are_served(self, journey):
        view = journey["applicant"].get(f"/api/v1/dossiers/{journey['dossier_id']}").json
        assert view["dossier"]["id"] == journey["dossier_id"] and view["history"]
        spec = journey["client"].get("/api/v1/openapi.json").json
        assert "/api/v1/dossiers/{dossier_id}/materials" in spec["paths"]


@pytest.fixture(scope="module")
def outsiders(journey):
    client = journey["client"]
    other_applicant, _ = register_and_login(client, "赵六")
    return {"another applicant": (other_applicant, 404), "admin of another unit": (login(client, "unit_b_admin"), 404),
            "anonymous": (client, 401)}


@pytest.fixture(scope="module")
def draft(system):
    """A fresh draft of another applicant, for upload refusals."""
    applicant, _, dossier_id = new_draft(system["client"], "孙七")
    return applicant, dossier_id, EvidenceStore.from_config(system["s3"])


class TestAccess:
    """Another applicant, an admin of another unit and an anonymous caller see nothing."""

    @pytest.mark.parametrize("who", ["another applicant", "admin of another unit", "anonymous"])
    @pytest.mark.parametrize("what", ["dossier", "history", "state", "verify", "material", "guessed material"])
    def test_outsiders_are_refused(self, journey, outsiders, who, what):
        caller, status = outsiders[who]
        base = f"/api/v1/dossiers/{journey['dossier_id']}"
        path = {"dossier": base, "history": f"{base}/history", "state": f"{base}/state?version=1",
                "verify": f"{base}/verify", "material": f"{base}/materials/{journey['material']['material_id']}",
                "guessed material": f"{base}/materials/{uuid.uuid4().hex}"}[what]
        answer = caller.get(path)
        assert answer.status == status, answer
        assert "error" in answer.json and answer.json["error"]["message"]

    def test_a_guessed_material_id_is_not_found_even_for_the_owner(self, journey):
        answer = journey["applicant"].get(f"/api/v1/dossiers/{journey['dossier_id']}/materials/{uuid.uuid4().hex}")
        assert answer.status == 404

    def test_the_unit_b_admin_list_never_shows_unit_a(self, journey):
        listed = login(journey["client"], "unit_b_admin").get("/api/v1/dossiers", params={"per_page": 200}).json
        assert journey["dossier_id"] not in [item["dossier_id"] for item in listed["items"]]

    def test_another_applicant_cannot_upload_into_the_dossier(self, journey, outsiders):
        other, _ = outsiders["another applicant"]
        assert upload(other, journey["dossier_id"], make_pdf()).status == 404


class TestUploadsRefused:
    @pytest.mark.parametrize(("content", "filename", "status"), [
        (png_bytes(), "照片.pdf", 415),
        (truncated_pdf(), "学历证书.pdf", 415),
        (encrypted_pdf(), "加密.pdf", 415),
        (make_pdf(pages=1, padding=21 * 1024 * 1024), "大文件.pdf", 413),
        (b"root:x:0:0:root:/root:/bin/bash\n", "../../etc/passwd", 415),
    ], ids=["renamed-png", "truncated", "encrypted", "21MB", "path-traversal-name"])
    def test_bad_uploads_are_refused_and_nothing_is_stored(self, draft, content, filename, status):
        applicant, dossier_id, store = draft
        answer = upload(applicant, dossier_id, content, filename=filename)
        assert answer.status == status, answer
        assert answer.json["error"]["message"]
        assert store.keys(prefix=f"dossiers/{dossier_id}/") == []
        assert applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"] == []

    def test_a_missing_category_is_a_field_error(self, draft):
        applicant, dossier_id, store = draft
        answer = upload(applicant, dossier_id, make_pdf(), category="")
        assert answer.status == 422 and "category" in answer.json["error"]["fields"]

    def test_an_upload_to_a_locked_dossier_leaves_no_object_behind(self, journey, system):
        store = EvidenceStore.from_config(system["s3"])
        before = store.keys(prefix=f"dossiers/{journey['dossier_id']}/")
        answer = upload(journey["applicant"], journey["dossier_id"], make_pdf())
        assert answer.status == 409, answer
        assert store.keys(prefix=f"dossiers/{journey['dossier_id']}/") == before
