"""Seed data: Kunming's organisation tree and the demo accounts, loaded idempotently.

``python -m services.identity.seed [--config services/identity/config.yaml]`` creates what is
missing and leaves what exists untouched (passwords included), so ``make run`` may call it on every
start. Demo accounts get the password in ``DEMO_PASSWORD`` (default ``Kunming@2026``).
"""
from shared.green import monkey_patch

monkey_patch()  # first: the seed imports the service's eventlet-based dependencies

import argparse  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

from sqlalchemy import select

from shared.config import load_config
from shared.idnumbers import credit_code_check_character, parse_resident_id, resident_id_check_character
from shared.roles import (
    APPLICANT, AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, EXPERT, SYSADMIN, UNIT_ADMIN,
)

from .domain import APPROVED, CITY, COMMITTEE, DEPARTMENT, DISTRICT, UNIT
from .tables import Account, Membership, Organisation, RoleGrant

DEFAULT_DEMO_PASSWORD = "Kunming@2026"
# Seeded rows get the same ids on every machine, so demo data of other services can refer to them.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kunming-title.invalid/identity/seed")

CITY_NAME = "昆明市人社局"
# docs/domain-rules.md R1.13 (GB/T 2260).
DISTRICTS = [
    ("530102", "五华区"), ("530103", "盘龙区"), ("530111", "官渡区"), ("530112", "西山区"),
    ("530113", "东川区"), ("530114", "呈贡区"), ("530115", "晋宁区"), ("530124", "富民县"),
    ("530125", "宜良县"), ("530126", "石林彝族自治县"), ("530127", "嵩明县"),
    ("530128", "禄劝彝族苗族自治县"), ("530129", "寻甸回族彝族自治县"), ("530181", "安宁市"),
]
DEPARTMENTS = ["昆明市卫生健康委员会", "昆明市住房和城乡建设局", "昆明市教育体育局", "昆明市工业和信息化局"]
ENGINEERING_COMMITTEE = "昆明市工程系列中级评审委员会"
# (unit, parent, the 9-character organisation part of its demo credit code)
DEMO_UNITS = [
    ("演示单位甲", "五华区人社局", "MA6K00001"),
    ("演示单位乙", "盘龙区人社局", "MA6K00002"),
    ("演示单位丙", "官渡区人社局", "MA6K00003"),
    ("演示单位丁", "昆明市住房和城乡建设局", "MA6K00004"),
    ("演示单位戊", "昆明市卫生健康委员会", "MA6K00005"),
]
# The demo accounts README.md lists (演示账号): (login name, display name, role, organisation).
DEMO_ADMINS = [
    ("sysadmin", "系统管理员", SYSADMIN, CITY_NAME),
    ("city_admin", "市人社局审核员", CITY_ADMIN, CITY_NAME),
    ("wuhua_admin", "五华区人社局审核员", DISTRICT_ADMIN, "五华区人社局"),
    ("panlong_admin", "盘龙区人社局审核员", DISTRICT_ADMIN, "盘龙区人社局"),
    ("unit_a_admin", "演示单位甲管理员", UNIT_ADMIN, "演示单位甲"),
    ("unit_b_admin", "演示单位乙管理员", UNIT_ADMIN, "演示单位乙"),
    ("eng_secretary", "工程系列评委会办公室", COMMITTEE_SECRETARY, ENGINEERING_COMMITTEE),
    ("auditor", "审计人员", AUDITOR, CITY_NAME),
]
EXPERT_COUNT = 15
# Applicants already confirmed in their units. 李四 can start a dossier at once; the demo story of
# `make run` (deploy/dev/demo) takes the dossiers of the others to the step each stands at.
# (name, first 17 digits of the ID number, phone, unit)
DEMO_APPLICANTS = [
    ("张三", "53010219900101123", "13900000001", "演示单位甲"),
    ("李四", "53010319920315124", "13900000002", "演示单位乙"),
    ("王五", "53010219880512135", "13900000003", "演示单位甲"),
    ("赵六", "53010319900823246", "13900000004", "演示单位乙"),
    ("孙七", "53010319870304157", "13900000005", "演示单位乙"),
    ("周八", "53010319891117268", "13900000006", "演示单位乙"),
    ("吴九", "53010219860621179", "13900000007", "演示单位甲"),
    ("郑十", "53010219850909282", "13900000008", "演示单位甲"),
    ("冯十一", "53010319840130193", "13900000009", "演示单位乙"),
]


def seed_id(kind, key):
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def seed_organisations(session):
    """Create the city, its 14 districts and counties, the departments, the committee and the demo
    units if missing; return ``{name: id}`` of all of them."""
    ids = {}
    city = _organisation(session, CITY_NAME, CITY, None, "530100")
    ids[CITY_NAME] = city.id
    for code, district in DISTRICTS:
        name = f"{district}人社局"
        ids[name] = _organisation(session, name, DISTRICT, city.id, code).id
    for name in DEPARTMENTS:
        ids[name] = _organisation(session, name, DEPARTMENT, city.id, None).id
    ids[ENGINEERING_COMMITTEE] = _organisation(session, ENGINEERING_COMMITTEE, COMMITTEE, city.id, None).id
    for name, parent, organisation_part in DEMO_UNITS:
        parent_code = session.get(Organisation, ids[parent]).code or "530100"
        body = f"91{parent_code}{organisation_part}"
        ids[name] = _organisation(session, name, UNIT, ids[parent], body + credit_code_check_character(body)).id
    session.flush()
    return ids


def seed_demo(session, hasher, password=None):
    """Seed the organisations and the demo accounts of README.md; return ``{login or phone: id}``."""
    password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    orgs = seed_organisations(session)
    password_hash = None

    def hashed():
        nonlocal password_hash
        password_hash = password_hash or hasher.hash(password)
        return password_hash

    accounts = {}
    for login_name, name, role, org in DEMO_ADMINS:
        accounts[login_name] = _admin(session, login_name, name, role, orgs[org], hashed).id
    units = [name for name, _, _ in DEMO_UNITS]
    for number in range(1, EXPERT_COUNT + 1):
        login_name = f"expert{number:02d}"
        account = _admin(session, login_name, f"评审专家{number:02d}", EXPERT, orgs[ENGINEERING_COMMITTEE], hashed)
        # Experts are spread over the units: recusal needs to know where each one works.
        _membership(session, account.id, orgs[units[(number - 1) % len(units)]])
        accounts[login_name] = account.id
    for name, first_17, phone, unit in DEMO_APPLICANTS:
        account = _applicant(session, name, first_17 + resident_id_check_character(first_17), phone, hashed)
        _membership(session, account.id, orgs[unit])
        accounts[phone] = account.id
    session.flush()
    return accounts


def _organisation(session, name, kind, parent_id, code):
    parent_match = Organisation.parent_id.is_(None) if parent_id is None else Organisation.parent_id == parent_id
    org = session.scalar(select(Organisation).where(parent_match, Organisation.name == name))
    if org is None:
        org = Organisation(
            id=seed_id("org", name), name=name, kind=kind, parent_id=parent_id, code=code, status=APPROVED,
            credit_code_checksum_ok=True if kind == UNIT else None, credit_code_confirmed=kind == UNIT,
        )
        session.add(org)
        session.flush()
    return org


def _admin(session, login_name, name, role, org_id, hashed):
    account = session.scalar(select(Account).where(Account.login_name == login_name))
    if account is None:
        account = Account(id=seed_id("account", login_name), name=name, login_name=login_name,
                          password_hash=hashed())
        session.add(account)
        session.flush()
    _grant(session, account.id, role, org_id)
    return account


def _applicant(session, name, id_number, phone, hashed):
    resident = parse_resident_id(id_number)
    account = session.scalar(select(Account).where(Account.id_number == resident.number))
    if account is None:
        account = Account(id=seed_id("account", resident.number), name=name, id_number=resident.number,
                          gender=resident.gender, birth_date=resident.birth_date, phone=phone,
                          password_hash=hashed())
        session.add(account)
        session.flush()
    _grant(session, account.id, APPLICANT, None)
    return account


def _grant(session, account_id, role, org_id):
    org_match = RoleGrant.org_id.is_(None) if org_id is None else RoleGrant.org_id == org_id
    exists = session.scalar(select(RoleGrant.id).where(
        RoleGrant.account_id == account_id, RoleGrant.role == role, org_match))
    if exists is None:
        session.add(RoleGrant(account_id=account_id, role=role, org_id=org_id))
        session.flush()


def _membership(session, account_id, unit_id):
    exists = session.scalar(select(Membership.id).where(
        Membership.account_id == account_id, Membership.status.in_(("pending", "confirmed"))))
    if exists is None:
        session.add(Membership(account_id=account_id, unit_id=unit_id, status="confirmed"))
        session.flush()


def main(argv=None):
    # Imported here: the nameko side of the package is not needed to seed, only its database setup.
    from .dependencies import open_database, password_hasher

    parser = argparse.ArgumentParser(description="载入昆明市机构树和演示账号（可重复执行）")
    default_config = os.path.join(os.path.dirname(__file__), "config.yaml")
    parser.add_argument("--config", default=default_config, help="identity 的 config.yaml")
    parser.add_argument("--organisations-only", action="store_true", help="只载入机构，不建演示账号")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    engine, session_factory = open_database(config)
    try:
        with session_factory.begin() as session:
            if args.organisations_only:
                orgs = seed_organisations(session)
                print(f"identity seed: {len(orgs)} organisations")
            else:
                accounts = seed_demo(session, password_hasher(config))
                print(f"identity seed: {len(seed_organisations(session))} organisations, "
                      f"{len(accounts)} demo accounts (password from DEMO_PASSWORD)")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
