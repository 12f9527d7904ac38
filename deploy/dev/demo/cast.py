"""Who the demo story is about: the demo applicants (identity's seed) with the step each dossier
reaches, and the demo staff who act on them, as the actors the services take."""
from dataclasses import dataclass

from shared.contracts import dossier as st
from services.identity.seed import CITY_NAME, DEMO_APPLICANTS, ENGINEERING_COMMITTEE, EXPERT_COUNT, seed_id
from shared.idnumbers import parse_resident_id, resident_id_check_character
from shared.roles import APPLICANT, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, EXPERT, SYSTEM, UNIT_ADMIN

REVIEW_YEAR = 2026
SERIES, LEVEL = "engineering", "intermediate"
UNIT_A, UNIT_B = "演示单位甲", "演示单位乙"

# The step the story takes each demo applicant's dossier to, and its specialty. 李四 (13900000002)
# is left without one, so whoever tries the demo can start a dossier from scratch.
STEPS = {
    "13900000001": (st.DRAFT, "建筑工程"),
    "13900000003": (st.SUBMITTED, "道路与桥梁工程"),
    "13900000004": (st.RETURNED, "环境工程"),
    "13900000005": (st.ACCEPTED, "电气工程"),
    "13900000006": (st.SENT_TO_COMMITTEE, "机械工程"),
    "13900000009": (st.PASSED, "计算机应用技术"),
    "13900000007": (st.IN_PUBLICITY, "给排水工程"),
    "13900000008": (st.CERTIFIED, "土木工程"),
}


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str
    unit: str
    status: str  # where the story leaves the dossier (a dossier status code)
    specialty: str

    @property
    def account_id(self):
        return seed_id("account", self.id_number)  # as identity's seed made the account

    @property
    def actor(self):
        return {"account_id": self.account_id, "role": APPLICANT, "org_id": None}

    @property
    def gender(self):
        return "男" if parse_resident_id(self.id_number).gender == "male" else "女"

    @property
    def birth_date(self):
        return parse_resident_id(self.id_number).birth_date

    @property
    def status_label(self):
        return st.STATUS_LABELS[self.status]


def _cast():
    seeded = {phone: (name, first_17 + resident_id_check_character(first_17), unit)
              for name, first_17, phone, unit in DEMO_APPLICANTS}
    return [Applicant(seeded[phone][0], seeded[phone][1], phone, seeded[phone][2], status, specialty)
            for phone, (status, specialty) in STEPS.items()]


CAST = _cast()


def applicant_at(status):
    return next(applicant for applicant in CAST if applicant.status == status)


# -- staff -----------------------------------------------------------------------------------------

def _staff(login_name, role, organisation):
    return {"account_id": seed_id("account", login_name), "role": role, "org_id": seed_id("org", organisation)}


UNIT_ADMINS = {UNIT_A: _staff("unit_a_admin", UNIT_ADMIN, UNIT_A), UNIT_B: _staff("unit_b_admin", UNIT_ADMIN, UNIT_B)}
DISTRICT_ADMINS = {UNIT_A: _staff("wuhua_admin", DISTRICT_ADMIN, "五华区人社局"),
                   UNIT_B: _staff("panlong_admin", DISTRICT_ADMIN, "盘龙区人社局")}
CITY = _staff("city_admin", CITY_ADMIN, CITY_NAME)
SECRETARY = _staff("eng_secretary", COMMITTEE_SECRETARY, ENGINEERING_COMMITTEE)
EXPERTS = [_staff(f"expert{number:02d}", EXPERT, ENGINEERING_COMMITTEE) for number in range(1, EXPERT_COUNT + 1)]
# Timer jobs act as the system (as review's own timers do).
SYSTEM_ACTOR = {"account_id": "system", "role": SYSTEM}
COMMITTEE_OFFICE = seed_id("org", ENGINEERING_COMMITTEE)
