"""Identity's pure rules: passwords, reset codes, the organisation tree and role scopes,
who may grant which role, separation of duties, sanctions and who may apply. No I/O here."""
import re
import string
from dataclasses import dataclass
from datetime import date, timedelta

from shared.clock import beijing_date, beijing_text
from shared.contracts.identity import (  # noqa: F401 (the published vocabulary, named here for identity's code)
    APPROVED, CITY, COMMITTEE, DEPARTMENT, DISTRICT, FRAUD, LOGIN_NAME_RULE, ORG_KIND_LABELS, PENDING, PHONE_RULE,
    REJECTED, SANCTION_LABELS, UNIT, normalize_login_name, normalize_phone,
)
from shared.roles import (
    AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, EXPERT, ROLE_LABELS, SYSADMIN,
    SYSTEM, UNIT_ADMIN,
)

from .exceptions import (
    ActionNotAllowedError, OutOfScopeError, SeparationOfDutiesError, StateConflictError, UnsuitableOrganisationError,
    WeakPasswordError,
)


def local_time_text(moment):
    """A UTC moment as people in Kunming read it: ``2026-03-01 10:15（北京时间）``."""
    return beijing_text(moment) + "（北京时间）"


def local_date(moment):
    return beijing_date(moment)


# --- usernames -----------------------------------------------------------------------------------

_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def username_kind(username):
    """How to look up a login's *username*: ``(column, value)`` for ID number, phone or login name.

    Login names start with a letter, so they can never be mistaken for the other two.
    """
    text = str(username or "").strip()
    upper = text.upper()
    if _RESIDENT_ID_SHAPE.fullmatch(upper):
        return "id_number", upper
    try:
        return "phone", normalize_phone(text)
    except ValueError:
        return "login_name", text.lower()


# --- passwords -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PasswordPolicy:
    """At least ``min_length`` characters with letters and digits; not the ID number or birth date."""

    min_length: int = 8
    # Long inputs would only make hashing expensive; no person needs more.
    max_length: int = 128

    def problems(self, password, id_number=None, birth_date=None):
        """Every way *password* breaks the policy, as Chinese sentences (empty when it is fine)."""
        password = password or ""
        found = []
        if len(password) < self.min_length:
            found.append(f"密码至少需要 {self.min_length} 个字符")
        if len(password) > self.max_length:
            found.append(f"密码不能超过 {self.max_length} 个字符")
        has_letter = any(c in string.ascii_letters for c in password)
        has_digit = any(c in string.digits for c in password)
        if not (has_letter and has_digit):
            found.append("密码必须同时包含字母和数字")
        if id_number and id_number.upper() in password.upper():
            found.append("密码不能使用身份证号码")
        if birth_date and birth_date.strftime("%Y%m%d") in password:
            found.append("密码不能使用出生日期")
        return found

    def check(self, password, field_name, id_number=None, birth_date=None):
        """Raise WeakPasswordError naming *field_name* with every problem of *password*."""
        problems = self.problems(password, id_number, birth_date)
        if problems:
            raise WeakPasswordError(problems[0], {field_name: problems})


# --- password reset codes ------------------------------------------------------------------------

@dataclass(frozen=True)
class ResetCodePolicy:
    """SMS reset codes: ``digits`` long, valid ``ttl_minutes``, ``max_attempts`` tries, one at a time."""

    digits: int = 6
    ttl_minutes: int = 10
    max_attempts: int = 5
    resend_seconds: int = 60

    def expires_at(self, now):
        return now + timedelta(minutes=self.ttl_minutes)

    def may_resend(self, last_sent_at, now):
        return last_sent_at is None or now >= last_sent_at + timedelta(seconds=self.resend_seconds)


# --- organisations and scopes --------------------------------------------------------------------

# Which kind of organisation may be the parent of each kind.
PARENT_KINDS = {CITY: set(), DISTRICT: {CITY}, DEPARTMENT: {CITY}, COMMITTEE: {CITY}, UNIT: {DISTRICT, DEPARTMENT}}


@dataclass(frozen=True)
class OrgNode:
    id: str
    parent_id: str | None
    kind: str
    status: str = APPROVED


class OrgTree:
    """The organisation tree as plain data, for answering who is under whom."""

    def __init__(self, nodes):
        self.nodes = {node.id: node for node in nodes}
        self._children = {}
        for node in self.nodes.values():
            self._children.setdefault(node.parent_id, []).append(node.id)

    def get(self, org_id):
        return self.nodes.get(org_id)

    def ancestors(self, org_id):
        """Ids from the parent of *org_id* up to the root, nearest first."""
        chain, seen = [], {org_id}
        node = self.nodes.get(org_id)
        while node is not None and node.parent_id is not None and node.parent_id not in seen:
            chain.append(node.parent_id)
            seen.add(node.parent_id)
            node = self.nodes.get(node.parent_id)
        return chain

    def descendants(self, org_id):
        found, pending = [], list(self._children.get(org_id, []))
        while pending:
            child = pending.pop()
            if child not in found:
                found.append(child)
                pending.extend(self._children.get(child, []))
        return found


@dataclass(frozen=True)
class Scope:
    """The organisations a role acts on: everything, or exactly ``org_ids``."""

    everything: bool = False
    org_ids: frozenset = frozenset()

    def includes(self, org_id):
        return self.everything or org_id in self.org_ids


def scope_for(actor, tree):
    """The organisations *actor* acts on in their role.

    Applicants act on their own account only and experts on the meetings they are drawn into, so
    neither has an organisation scope.
    """
    if actor.role in (CITY_ADMIN, AUDITOR, SYSADMIN, SYSTEM):
        return Scope(everything=True)
    if actor.org_id is None or tree.get(actor.org_id) is None:
        return Scope()
    if actor.role == DISTRICT_ADMIN:
        return Scope(org_ids=frozenset([actor.org_id, *tree.descendants(actor.org_id)]))
    if actor.role in (UNIT_ADMIN, COMMITTEE_SECRETARY):
        return Scope(org_ids=frozenset([actor.org_id]))
    return Scope()


# --- roles ---------------------------------------------------------------------------------------

ROLE_ORG_KINDS = {
    SYSADMIN: {CITY},
    CITY_ADMIN: {CITY},
    AUDITOR: {CITY},
    DISTRICT_ADMIN: {DISTRICT, DEPARTMENT},
    UNIT_ADMIN: {UNIT},
    COMMITTEE_SECRETARY: {COMMITTEE},
    EXPERT: {COMMITTEE},
}
ADMIN_ROLES = frozenset(ROLE_ORG_KINDS)
# Sysadmin and the higher administrators create the accounts below them.
GRANTABLE_BY = {
    SYSADMIN: ADMIN_ROLES,
    CITY_ADMIN: frozenset({DISTRICT_ADMIN, UNIT_ADMIN, COMMITTEE_SECRETARY, EXPERT}),
    DISTRICT_ADMIN: frozenset({UNIT_ADMIN}),
}


# Roles with review powers (docs/domain-rules.md R1.9): a sysadmin may only ask for them; a second person of the
# city admin office confirms before they take effect.
REVIEW_ROLES = frozenset({CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN, COMMITTEE_SECRETARY, EXPERT, AUDITOR})


def needs_second_person(actor, role):
    """Whether *actor* giving *role* is only a request until the city admin office confirms it."""
    return actor.role == SYSADMIN and role in REVIEW_ROLES


def check_can_decide_role_request(actor, requested_by, account_id):
    """A city admin other than the requester (and other than the person receiving the role) decides."""
    require_role(actor, CITY_ADMIN)
    if actor.account_id == requested_by:
        raise SeparationOfDutiesError("职责分离：授权申请须由提出人以外的市人社局审核员确认")
    if actor.account_id == account_id:
        raise SeparationOfDutiesError("职责分离：不能确认授予自己的角色")


def require_role(actor, *roles):
    """Raise ActionNotAllowedError unless *actor* acts in one of *roles*."""
    if actor.role not in roles:
        allowed = "、".join(ROLE_LABELS[role] for role in roles)
        raise ActionNotAllowedError(f"此操作仅限{allowed}办理，您当前的身份是{actor.role_label}")


def check_can_grant(actor, role, target, tree):
    """Raise unless *actor* may give *role* at organisation *target* (an OrgNode)."""
    if role not in ADMIN_ROLES:
        raise UnsuitableOrganisationError(
            f"不能授予“{ROLE_LABELS.get(role, role)}”角色", {"role": ["只能授予管理类角色"]}
        )
    if role not in GRANTABLE_BY.get(actor.role, ()):
        raise ActionNotAllowedError(f"{actor.role_label}不能设立“{ROLE_LABELS[role]}”账号")
    if target.kind not in ROLE_ORG_KINDS[role]:
        kinds = "或".join(ORG_KIND_LABELS[kind] for kind in sorted(ROLE_ORG_KINDS[role]))
        raise UnsuitableOrganisationError(
            f"“{ROLE_LABELS[role]}”只能设在{kinds}，所选机构是{ORG_KIND_LABELS[target.kind]}",
            {"org_id": ["机构类型与角色不符"]},
        )
    if target.status != APPROVED:
        raise StateConflictError("该机构尚未通过审核，不能设立管理员")
    if not scope_for(actor, tree).includes(target.id):
        raise OutOfScopeError("该机构不在您的管理范围内")


def check_separation_of_duties(role, org_id, member_unit_ids):
    """An applicant may never be admin of the unit that recommends them (docs/domain-rules.md R1.11)."""
    if role == UNIT_ADMIN and org_id in set(member_unit_ids):
        raise SeparationOfDutiesError(
            "职责分离：该人员是本单位的申报人（已申请或已加入本单位），不能担任本单位管理员"
        )


def check_may_join(unit_id, admin_unit_ids):
    """The other direction of the same rule: a unit's admin cannot become one of its applicants."""
    if unit_id in set(admin_unit_ids):
        raise SeparationOfDutiesError("职责分离：本单位管理员不能作为申报人加入本单位")


def check_can_approve_unit(actor, unit):
    """The district admin of the unit's parent (or a sysadmin) decides on a registered unit."""
    require_role(actor, DISTRICT_ADMIN, SYSADMIN)
    if actor.role == DISTRICT_ADMIN and unit.parent_id != actor.org_id:
        raise OutOfScopeError("只有该单位上级主管部门/区县人社局的审核员可以审核此单位")
    if unit.status != PENDING:
        raise StateConflictError("该单位不是待审核状态")


# --- sanctions and who may apply -----------------------------------------------------------------

def sanction_end(sanctioned_on, years):
    """The first day a sanction of *years* from *sanctioned_on* no longer bars (29 Feb → 1 Mar)."""
    try:
        return sanctioned_on.replace(year=sanctioned_on.year + years)
    except ValueError:
        return date(sanctioned_on.year + years, 3, 1)


@dataclass(frozen=True)
class Refusal:
    """One reason an account may not apply: a code for programs, a message for people."""

    code: str
    message: str


def application_refusals(*, active, is_applicant, confirmed_unit_ids, unit_id, sanctions, today):
    """Every reason the account may not apply now; *sanctions* are ``(kind, bars_until)`` pairs."""
    refusals = []
    if not active:
        refusals.append(Refusal("account_disabled", "账号已停用，不能申报"))
    if not is_applicant:
        refusals.append(Refusal("not_applicant", "该账号不是申报人账号"))
    if not confirmed_unit_ids:
        refusals.append(Refusal("no_confirmed_unit", "尚未加入用人单位，或单位管理员尚未确认您的加入申请"))
    elif unit_id is not None and unit_id not in confirmed_unit_ids:
        refusals.append(Refusal("not_unit_member", "您不是所选单位经确认的成员，不能以该单位名义申报"))
    for kind, bars_until in sorted(sanctions, key=lambda pair: pair[1], reverse=True):
        if today < bars_until:
            refusals.append(Refusal(
                "sanctioned",
                f"因{SANCTION_LABELS.get(kind, kind)}受到处理，{bars_until.isoformat()} 前不得申报职称",
            ))
            break
    return refusals
