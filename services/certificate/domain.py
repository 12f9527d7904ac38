"""The electronic title certificate with no I/O: its fields (docs/domain-rules.md R9.1, R9.3, R9.4), their canonical form for
signing, the verification code printed on it, and the names a series and level are called by.

The signature covers exactly the fields printed on the certificate, in a canonical JSON form, so
anyone holding the issuer's public key can check a certificate's face; the short verification
code is derived from the signature, so a code only fits the one certificate it was printed on.
"""
import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields as dataclass_fields
from datetime import date
from urllib.parse import urlencode

from shared.roles import AUDITOR, CITY_ADMIN

from .exceptions import CertificateNotAllowedError

CANONICAL_PREFIX = b"kunming-title-certificate:v1\n"
METHOD = "评审"  # 取得方式: titles issued here are obtained by review

SERIES_LABELS = {"engineering": "工程", "health": "卫生", "education": "教育", "agriculture": "农业",
                 "economics": "经济", "accounting": "会计"}
LEVEL_LABELS = {"primary": "初级", "intermediate": "中级", "associate_senior": "副高级", "senior": "正高级"}
GENDER_LABELS = {"male": "男", "female": "女", "男": "男", "女": "女"}

# 资格名称 per series and level (defaults; a setting can replace any of them).
QUALIFICATION_NAMES = {
    "engineering": {"primary": "助理工程师", "intermediate": "工程师", "associate_senior": "高级工程师",
                    "senior": "正高级工程师"},
    "health": {"primary": "医师", "intermediate": "主治医师", "associate_senior": "副主任医师", "senior": "主任医师"},
    "education": {"primary": "二级教师", "intermediate": "一级教师", "associate_senior": "高级教师",
                  "senior": "正高级教师"},
    "agriculture": {"primary": "助理农艺师", "intermediate": "农艺师", "associate_senior": "高级农艺师",
                    "senior": "正高级农艺师"},
    "economics": {"primary": "助理经济师", "intermediate": "经济师", "associate_senior": "高级经济师",
                  "senior": "正高级经济师"},
    "accounting": {"primary": "助理会计师", "intermediate": "会计师", "associate_senior": "高级会计师",
                   "senior": "正高级会计师"},
}

# Crockford's base32: no I, L, O, U, so a code read aloud or retyped is hard to get wrong.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 8


@dataclass(frozen=True)
class CertificateFields:
    """Everything printed on the certificate's face, as text; dates are ISO (YYYY-MM-DD)."""

    number: str
    name: str
    gender: str
    id_number_masked: str
    unit: str
    series: str
    specialty: str
    qualification: str
    level: str
    method: str
    committee: str
    pass_date: str
    issuing_body: str
    issue_date: str

    def canonical(self):
        """The bytes that are signed: a domain prefix and the fields as sorted, compact UTF-8 JSON."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return CANONICAL_PREFIX + text.encode("utf-8")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(**{field.name: str(data[field.name]) for field in dataclass_fields(cls)})


# The order and labels of the certificate's face (docs/domain-rules.md R9.1).
FIELD_LABELS = [
    ("name", "姓名"), ("gender", "性别"), ("id_number_masked", "身份证号"), ("unit", "工作单位"),
    ("series", "系列"), ("specialty", "专业"), ("qualification", "资格名称"), ("level", "级别"),
    ("method", "取得方式"), ("committee", "评审委员会"), ("pass_date", "通过日期"), ("number", "证书编号"),
    ("issuing_body", "发证机关"), ("issue_date", "发证日期"),
]


def chinese_date(iso_text):
    """``2026-03-01`` -> ``2026年3月1日`` as printed on certificates."""
    day = date.fromisoformat(iso_text)
    return f"{day.year}年{day.month}月{day.day}日"


def face(fields: CertificateFields):
    """The certificate's face as (label, printed value) pairs."""
    values = fields.to_dict()
    for key in ("pass_date", "issue_date"):
        values[key] = chinese_date(values[key])
    return [(label, values[key]) for key, label in FIELD_LABELS]


def qualification_name(series, level, overrides=None):
    names = {**QUALIFICATION_NAMES.get(series, {}), **((overrides or {}).get(series) or {})}
    return names.get(level) or f"{SERIES_LABELS.get(series, series)}{LEVEL_LABELS.get(level, level)}"


def reviewing_committee(dossier):
    """The name of the committee that reviewed *dossier* (docs/domain-rules.md R9.6), as the dossier
    recorded it when review sent it there (``committee.committee_name``); None when it is not recorded."""
    name = str(((dossier.get("committee") or {}).get("committee_name")) or "").strip()
    return name or None


# -- the verification code --------------------------------------------------------------------

def verification_code(signature_b64):
    """Eight Crockford base32 characters from the SHA-256 of the signature (40 bits)."""
    digest = hashlib.sha256(base64.b64decode(signature_b64)).digest()
    number = int.from_bytes(digest[:5], "big")
    return "".join(_CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))


def normalize_code(text):
    """What a person typed, as a code: case, spaces and dashes ignored; O->0, I/L->1 (Crockford)."""
    cleaned = re.sub(r"[\s-]", "", str(text or "")).upper()
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def printed_code(code):
    return f"{code[:4]}-{code[4:]}"


def verify_url(base_url, number, code):
    """The public verification page of a certificate (what its QR code encodes)."""
    return f"{base_url}?{urlencode({'number': number, 'code': printed_code(code)})}"


# -- who may do what --------------------------------------------------------------------------

def check_revoker(actor):
    """撤销职称 is the city HRSS administrator's decision (docs/domain-rules.md R9.5)."""
    if actor.role != CITY_ADMIN:
        raise CertificateNotAllowedError("只有市人社局审核员可以撤销证书")


def check_registry_reader(actor):
    """Looking certificates up by number (with their codes) is for city administrators and auditors."""
    if actor.role not in (CITY_ADMIN, AUDITOR):
        raise CertificateNotAllowedError("只有市人社局审核员或审计人员可以按编号查阅证书")


def check_downloader(actor, applicant_id):
    """The holder downloads their certificate; city administrators and auditors may too."""
    if actor.role in (CITY_ADMIN, AUDITOR):
        return
    if actor.role != "applicant" or actor.account_id != applicant_id:
        raise CertificateNotAllowedError("只能下载本人的证书")
