"""Small factories for tests: actors, complete section data, and dossiers driven to any status."""
import uuid
from datetime import timedelta

from shared.clock import beijing_today, utc_now
from shared.roles import Actor


def unique(prefix="id"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Cast:
    """The people around one dossier: its applicant and the reviewers whose turn comes."""

    def __init__(self, **overrides):
        self.unit_id = overrides.get("unit_id", unique("unit"))
        self.district_id = overrides.get("district_id", unique("district"))
        self.applicant = Actor(account_id=unique("applicant"), role="applicant")
        self.unit_admin = Actor(account_id=unique("unit-admin"), role="unit_admin", org_id=self.unit_id)
        self.district_admin = Actor(account_id=unique("district-admin"), role="district_admin", org_id=self.district_id)
        self.city_admin = Actor(account_id=unique("city-admin"), role="city_admin", org_id="city")
        self.secretary = Actor(account_id=unique("secretary"), role="committee_secretary", org_id="committee")
        self.system = Actor(account_id="system", role="system")

    def creation_fields(self, **overrides):
        return {
            "applicant_name": "李明",
            "unit_id": self.unit_id,
            "unit_name": "演示单位甲",
            "district_id": self.district_id,
            "district_name": "五华区人社局",
            "review_year": 2026,
            "series": "engineering",
            "specialty": "土木工程",
            "level": "intermediate",
            # What identity derives from the applicant's resident ID number (the gateway sends them).
            "applicant_gender": "male",
            "applicant_birth_date": "1988-05-01",
            **overrides,
        }


def basic_info(**overrides):
    return {
        "phone": "13800000000", "work_start_date": "2010-07-01",
        "current_post": "专业技术岗位十级", "appointed_on": "2016-12-15", "employer_type": "public_institution",
        "current_title": "助理工程师", "current_title_level": "primary", "current_title_series": "engineering",
        "current_title_obtained_on": "2016-12-01", **overrides,
    }


def education():
    return [{"education_level": "bachelor", "school": "昆明理工大学", "major": "土木工程", "start": "2006-09-01",
             "end": "2010-06-30", "degree": "学士", "highest": True}]


def work_experience():
    return [{"employer": "演示单位甲", "position": "技术员", "start": "2010-07-01", "end": None, "duties": "施工管理"}]


def review_form():
    return {"work_summary": "从事土木工程技术工作十余年。", "main_achievements": "主持完成三项工程。"}


def material(**overrides):
    material_id = overrides.pop("material_id", uuid.uuid4().hex)
    return {
        "material_id": material_id, "object_key": f"dossiers/x/{material_id}.pdf", "sha256": "a" * 64,
        "size": 1024, "pages": 2, "category": "diploma", "filename": "学历证书.pdf", **overrides,
    }


def annual_assessments(first=2017, last=2025, **results_by_year):
    """One assessment per year, 合格 unless ``y2019="basically_competent"`` and the like say otherwise."""
    return [{"year": year, "result": results_by_year.get(f"y{year}", "competent")} for year in range(first, last + 1)]


def continuing_education(years=(2023, 2024, 2025), professional=60, public=30):
    """Each year's 专业科目 and 公需科目 hours: by default exactly the 90 (60 + 30) the policy asks for."""
    entries = []
    for year in years:
        entries.append({"year": year, "kind": "professional", "hours": professional, "course": "专业课程"})
        if public:
            entries.append({"year": year, "kind": "public", "hours": public, "course": "公需课程"})
    return entries


def recommendation_letter(number=1):
    return material(category="recommendation_letter", filename=f"专家推荐信{number}.pdf")


def fill_everything(dossier, cast):
    """Record every required section plus one achievement and one material."""
    a = cast.applicant
    dossier.update_basic_info(a, basic_info())
    dossier.record_education(a, education())
    dossier.record_work_experience(a, work_experience())
    dossier.add_achievement(a, {"kind": "项目", "title": "某大桥工程", "date": "2020-01-01"})
    dossier.attach_material(a, **material())
    dossier.fill_review_form(a, review_form())
    dossier.sign_commitment(a, statement_version="2026-1", signed_name=dossier.applicant_name)


def fill_eligible(dossier, cast):
    """Everything of fill_everything plus the assessments and continuing education that make the default
    dossier (工程 中级, 本科, 助理工程师 since 2016-12-01, review year 2026) eligible, and every material the
    default checklist asks of it (attach_required_materials)."""
    fill_everything(dossier, cast)
    dossier.record_annual_assessments(cast.applicant, annual_assessments())
    dossier.record_continuing_education(cast.applicant, continuing_education())
    attach_required_materials(dossier, cast)


def required_uploads(dossier_state, policy=None):
    """What the year's checklist (default policy unless *policy*) still asks of *dossier_state*:
    ``[{category, year, achievement_id, filename}]``, one upload per missing file."""
    from services.dossier.required_materials import checklist
    from shared.contracts.year_policy import DEFAULT_POLICY

    found = checklist(policy or DEFAULT_POLICY, dossier_state, review_year=dossier_state["review_year"])
    uploads = []
    for item in found["items"]:
        for slot in item["slots"]:
            for number in range(slot["missing"]):
                uploads.append({"category": item["categories"][0], "year": slot["year"],
                                "achievement_id": slot["achievement_id"],
                                "filename": f"{slot['name']}{item['label'].split('(')[0]}{number + 1}.pdf"
                                .replace("/", "")})
    return uploads


def attach_required_materials(dossier, cast, policy=None):
    """Attach one distinct file for each file the checklist still asks of *dossier* (an aggregate)."""
    for upload in required_uploads(dossier.to_dict(), policy):
        dossier.attach_material(cast.applicant, **material(
            category=upload["category"], filename=upload["filename"], sha256=uuid.uuid4().hex * 2,
            year=upload["year"], achievement_id=upload["achievement_id"]))


def notice_document(review_year=2026, *, start=None, end=None, **overrides):
    """An annual notice opening every level of 工程 and 卫生, its window by default covering now."""
    now = utc_now()
    return {
        "review_year": review_year,
        "title": f"{review_year}年度昆明市职称评审工作通知",
        "open_series": {"engineering": ["primary", "intermediate", "associate_senior", "senior"],
                        "health": ["associate_senior", "senior"]},
        "window": {"start": (start or now - timedelta(days=30)).isoformat(),
                   "end": (end or now + timedelta(days=30)).isoformat()},
        **overrides,
    }


PAST_START = (beijing_today() - timedelta(days=20)).isoformat()
PAST_END = (beijing_today() - timedelta(days=10)).isoformat()
TODAY = beijing_today().isoformat()


def resident_id(birth=None, region="530102", male=True):
    """A valid 公民身份号码, unique within a run (random birth date and sequence, real check character)."""
    import random

    from shared.idnumbers import resident_id_check_character

    birth = birth or f"{random.randint(1965, 2000)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    sequence = random.randrange(0, 999)
    if (sequence % 2 == 1) != male:
        sequence = (sequence + 1) % 1000
    body = f"{region}{birth}{sequence:03d}"
    return body + resident_id_check_character(body)


def mobile_phone():
    import random

    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def attach_required_over_rpc(rpc, actor, dossier_id):
    """Over the dossier service's RPC (*actor* a dict): one file for each slot the dossier's checklist
    (``required_materials``) says is still missing, until it is complete."""
    for item in rpc.required_materials(actor, dossier_id)["items"]:
        for slot in item["slots"]:
            for _ in range(slot["missing"]):
                rpc.attach_material(actor, dossier_id, material(
                    category=item["categories"][0], year=slot["year"], achievement_id=slot["achievement_id"],
                    sha256=uuid.uuid4().hex * 2, filename=f"{item['key']}.pdf"))
    assert rpc.required_materials(actor, dossier_id)["complete"] is True
