"""Review's settings from its config.yaml (every value overridable from the environment).

Only operational numbers live here (the unit publicity's backdating bound, export size, objection
limits of R7.4, time limits). The review year's policy — publicity days (R5.6, R7.1), quorum and pass
share (R6.6, R6.7), committee minimums and validity (R6.1, R6.2) — is read from the year's notice at
each step (services/review/policy.py), never from here.
"""
from dataclasses import dataclass, field
from pathlib import Path

from .domain.publicity import ObjectionLimits

DEFAULT_CALENDAR_FILE = Path(__file__).resolve().parent / "holidays.yaml"


@dataclass(frozen=True)
class Settings:
    # How many days back a unit publicity may have started when it is recorded (backdating bound).
    unit_publicity_max_days_back: int = 30
    export_max_rows: int = 10000
    objection_limits: ObjectionLimits = field(default_factory=ObjectionLimits)
    address_pepper: str = ""
    rpc_timeout: float = 30.0
    lookup_timeout: float = 5.0
    # A timer claim older than this is taken to belong to a crashed instance and may be retried.
    stale_claim_seconds: int = 600
    calendar_file: Path = DEFAULT_CALENDAR_FILE
    # The master key each meeting's ballot key is derived from (shared/ballot_crypto.py): from the
    # environment only, never the database or a log line (repr=False keeps it out of reprs).
    ballot_master_key: bytes = field(default=b"", repr=False)

    @classmethod
    def from_config(cls, config):
        rules = config.get("RULES") or {}
        objections = config.get("OBJECTIONS") or {}
        rpc = config.get("RPC") or {}
        defaults = cls()
        return cls(
            unit_publicity_max_days_back=int(rules.get("unit_publicity_max_days_back", 30)),
            export_max_rows=int(rules.get("export_max_rows", 10000)),
            objection_limits=ObjectionLimits(
                per_contact=int(objections.get("max_per_contact", 3)),
                per_address=int(objections.get("max_per_address", 10)),
                window_hours=int(objections.get("window_hours", 24)),
            ),
            address_pepper=str(objections.get("address_pepper") or ""),
            rpc_timeout=float(rpc.get("timeout_seconds", 30)),
            lookup_timeout=float(rpc.get("lookup_timeout_seconds", 5)),
            stale_claim_seconds=int(rules.get("stale_claim_seconds", 600)),
            calendar_file=Path(config.get("CALENDAR_FILE") or defaults.calendar_file),
            ballot_master_key=ballot_master_key((config.get("BALLOTS") or {}).get("master_key")),
        )


def ballot_master_key(text):
    """The configured master key (hex, at least 32 bytes), or empty: then no meeting can vote."""
    text = str(text or "").strip()
    if not text:
        return b""
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError("REVIEW_BALLOT_MASTER_KEY 应为十六进制(至少 64 个字符)") from None
    if len(key) < 32:
        raise ValueError("REVIEW_BALLOT_MASTER_KEY 至少 32 字节(64 个十六进制字符)")
    return key


@dataclass(frozen=True)
class RecordSettings:
    """The meeting record (cases/records.py): its verification page, its font and its signing key."""

    verify_url: str = "http://127.0.0.1:8000/records/verify"
    font_path: str | None = None
    private_key: str | None = field(default=None, repr=False)
    previous_public_keys: str | None = None

    @classmethod
    def from_config(cls, config):
        records = config.get("RECORDS") or {}
        signing = records.get("SIGNING") or {}
        return cls(verify_url=records.get("VERIFY_URL") or cls.verify_url,
                   font_path=(config.get("PDF") or {}).get("CJK_FONT") or None,
                   private_key=signing.get("PRIVATE_KEY") or None,
                   previous_public_keys=signing.get("PREVIOUS_PUBLIC_KEYS") or None)
