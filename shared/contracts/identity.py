"""What identity publishes besides its errors: the organisation kinds and their labels, the sanction
kinds, and the rules for phone numbers and login names that its published input schemas apply.

Pure values and functions: the gateway and every service may import them without identity's code.
"""
import re

# --- organisations ---------------------------------------------------------------------------------

CITY, DISTRICT, DEPARTMENT, UNIT, COMMITTEE = "city", "district", "department", "unit", "committee"
ORG_KIND_LABELS = {
    CITY: "市人社局",
    DISTRICT: "区县人社局",
    DEPARTMENT: "市级主管部门",
    UNIT: "用人单位",
    COMMITTEE: "评审委员会",
}
# The kinds a sysadmin creates directly; units register themselves and the city exists from the start.
CREATED_ORG_KINDS = (DISTRICT, DEPARTMENT, COMMITTEE)

# --- statuses in identity's answers (organisations, memberships, role requests, accounts) -----------

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
CONFIRMED, ENDED, REFUSED = "confirmed", "ended", "refused"
ACTIVE, DISABLED = "active", "disabled"
ORG_STATUSES = (PENDING, APPROVED, REJECTED)  # a unit waits for its district's approval
MEMBERSHIP_STATUSES = (PENDING, CONFIRMED, REJECTED, ENDED)
ROLE_REQUEST_STATUSES = (PENDING, CONFIRMED, REFUSED)
# ``pending``: created for a review role that the city admin office has not confirmed yet.
ACCOUNT_STATUSES = (ACTIVE, DISABLED, PENDING)

# --- sanctions -------------------------------------------------------------------------------------

FRAUD = "fraud"
SANCTION_LABELS = {FRAUD: "弄虚作假"}

# --- phone numbers and login names -----------------------------------------------------------------

_PHONE = re.compile(r"1[3-9][0-9]{9}")
_LOGIN_NAME = re.compile(r"[a-z][a-z0-9_]{2,31}")
PHONE_RULE = "请输入 11 位中国大陆手机号码"
LOGIN_NAME_RULE = "登录名为 3–32 位小写字母、数字或下划线，以字母开头"


def normalize_phone(text):
    """The 11-digit mainland mobile number in *text* (spaces, dashes and +86 allowed), or ValueError."""
    digits = re.sub(r"[\s-]", "", str(text or ""))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _PHONE.fullmatch(digits):
        raise ValueError(PHONE_RULE)
    return digits


def mask_phone(phone):
    """``13812341234`` → ``138****1234``, as pages, answers and log lines show a number; a short value
    is masked whole, none stays none."""
    if not phone:
        return phone
    text = str(phone)
    return f"{text[:3]}****{text[-4:]}" if len(text) >= 8 else "****"


def normalize_login_name(text):
    """*text* as a login name (trimmed, lower case), or ValueError saying what a login name looks like."""
    name = str(text or "").strip().lower()
    if not _LOGIN_NAME.fullmatch(name):
        raise ValueError(LOGIN_NAME_RULE)
    return name
