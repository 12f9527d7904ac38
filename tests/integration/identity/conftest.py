"""Fixtures for identity's integration tests: a real database, seeded demo data, factories.

Every test makes its own applicants, phones and units, so tests never depend on one another and
can share one database for the whole run.
"""
import copy
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.identity.dependencies import build_identity
from services.identity.code_sender import CodeSender
from services.identity.seed import seed_demo
from shared.clock import utc_now
from shared.config import load_config
from shared.idnumbers import CREDIT_CODE_ALPHABET, credit_code_check_character, resident_id_check_character
from shared.roles import Actor
from shared.tokens import SigningKey

CONFIG_PATH = Path(__file__).resolve().parents[3] / "services" / "identity" / "config.yaml"
DEMO_PASSWORD = "Kunming@2026"
PASSWORD = "Passw0rd-test"


class Clock:
    """A clock the tests move by hand; starts at the real time so issued tokens stay valid."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.now = utc_now()

    def advance(self, **delta):
        self.now += timedelta(**delta)

    def __call__(self):
        return self.now


@pytest.fixture(scope="session")
def signing_key():
    return SigningKey.generate()


@pytest.fixture(scope="session")
def identity_config(database_url, signing_key):
    """The real config.yaml with the test database, cheap argon2 and a known signing key."""
    config = copy.deepcopy(load_config(CONFIG_PATH))
    config["DATABASE_URL"] = database_url("identity")
    config["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
    config["TOKENS"]["PRIVATE_KEY"] = signing_key.private_pem()
    return config


@pytest.fixture(scope="session")
def shared_clock():
    return Clock()


class RecordingCodeSender(CodeSender):
    """Identity's port to the notification service, keeping what it would hand over (after commit)."""

    def __init__(self):
        self.handed_over = []

    def hand_over(self, request):
        self.handed_over.append(request)


@pytest.fixture(scope="session")
def code_sender():
    return RecordingCodeSender()


@pytest.fixture(scope="session")
def identity_app(identity_config, shared_clock, code_sender):
    identity, engine = build_identity(identity_config, clock=shared_clock, code_sender=code_sender)
    yield identity
    engine.dispose()


@pytest.fixture(scope="session")
def demo(identity_app):
    """Seeds the organisation tree and the demo accounts once; ``{"orgs": {name: id}, "accounts": {...}}``."""
    from services.identity.seed import seed_organisations

    with identity_app.session_factory.begin() as session:
        accounts = seed_demo(session, identity_app.hasher, DEMO_PASSWORD)
        orgs = seed_organisations(session)
    return {"orgs": orgs, "accounts": accounts}


@pytest.fixture
def clock(shared_clock):
    shared_clock.reset()
    yield shared_clock
    shared_clock.reset()


@pytest.fixture
def identity(identity_app, demo, clock):
    return identity_app


@pytest.fixture(scope="session")
def actors(demo):
    """Actors for the seeded administrators, by login name."""
    orgs, accounts = demo["orgs"], demo["accounts"]
    return {
        "sysadmin": Actor(accounts["sysadmin"], "sysadmin", orgs["昆明市人社局"]),
        "city_admin": Actor(accounts["city_admin"], "city_admin", orgs["昆明市人社局"]),
        "auditor": Actor(accounts["auditor"], "auditor", orgs["昆明市人社局"]),
        "wuhua_admin": Actor(accounts["wuhua_admin"], "district_admin", orgs["五华区人社局"]),
        "panlong_admin": Actor(accounts["panlong_admin"], "district_admin", orgs["盘龙区人社局"]),
        "unit_a_admin": Actor(accounts["unit_a_admin"], "unit_admin", orgs["演示单位甲"]),
        "unit_b_admin": Actor(accounts["unit_b_admin"], "unit_admin", orgs["演示单位乙"]),
    }


def new_id_number(birth_date=None):
    """A valid resident ID number nobody else in this run has (random birth date and sequence)."""
    birth_date = birth_date or date(1960, 1, 1) + timedelta(days=secrets.randbelow(365 * 40))
    first_17 = f"530102{birth_date:%Y%m%d}{secrets.randbelow(1000):03d}"
    return first_17 + resident_id_check_character(first_17)


def new_phone():
    return f"139{secrets.randbelow(10 ** 8):08d}"


def new_credit_code(valid=True):
    first_17 = "91530102" + "".join(secrets.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    check = credit_code_check_character(first_17)
    if not valid:
        check = CREDIT_CODE_ALPHABET[(CREDIT_CODE_ALPHABET.index(check) + 1) % len(CREDIT_CODE_ALPHABET)]
    return first_17 + check


class Fresh:
    """Values no other test of this run uses: ID numbers, phones, credit codes."""

    id_number = staticmethod(lambda birth_date=None: new_id_number(birth_date))
    phone = staticmethod(lambda: new_phone())
    credit_code = staticmethod(lambda valid=True: new_credit_code(valid))


@pytest.fixture
def fresh():
    return Fresh()


@pytest.fixture
def make_applicant(identity):
    """Register an applicant: ``make_applicant(**overrides)`` → the registration data plus ``account``."""

    def make(**overrides):
        data = {"name": "测试申报人", "id_number": new_id_number(), "phone": new_phone(), "password": PASSWORD,
                **overrides}
        account = identity.accounts.register(**data)
        actor = Actor(account["id"], "applicant", None)
        return {**data, "account": account, "actor": actor}

    return make


@pytest.fixture
def make_unit(identity, actors, demo):
    """A freshly registered and approved unit under 五华区 (or ``district=`` another district name)."""

    def make(district="五华区人社局", approve=True, **overrides):
        admin = {"五华区人社局": actors["wuhua_admin"], "盘龙区人社局": actors["panlong_admin"]}[district]
        data = {"name": f"测试单位{secrets.token_hex(4)}", "credit_code": new_credit_code(),
                "parent_id": demo["orgs"][district], **overrides}
        unit = identity.organisations.register_unit(actors["sysadmin"], **data)["unit"]
        if approve:
            unit = identity.organisations.approve_unit(admin, unit["id"], confirm_credit_code=True)
        return unit

    return make


@pytest.fixture
def outbox(code_sender):
    """``outbox(phone)`` → what identity handed to the notification service for *phone*, newest first."""

    def read(phone):
        return [request for request in reversed(code_sender.handed_over) if request["phone"] == phone]

    return read


@pytest.fixture
def texted_code(outbox):
    """``texted_code(phone)`` → the newest password-reset code handed over for *phone*."""

    def read(phone):
        codes = [request for request in outbox(phone) if request["template"] == "password_reset_code"]
        assert codes, f"no reset code texted to {phone}"
        return codes[0]["params"]["code"]

    return read
