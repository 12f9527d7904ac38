"""Review's settings from its config.yaml (every value overridable from the environment).

The numbers of docs/domain-rules.md R0.1, R5.6, R6.2, R6.6, R6.7, R7.1 and R7.4 live here with their
defaults; none is hard-coded in the rules.
"""
from dataclasses import dataclass, field
from pathlib import Path

from .domain.committees import DEFAULT_MINIMUMS
from .domain.publicity import ObjectionLimits

DEFAULT_CALENDAR_FILE = Path(__file__).resolve().parent / "holidays.yaml"


@dataclass(frozen=True)
class Settings:
    unit_publicity_working_days: int = 5
    # How many days back a unit publicity may have started when it is recorded (backdating bound).
    unit_publicity_max_days_back: int = 30
    publicity_working_days: int = 5
    quorum_share: str = "2/3"
    pass_share: str = "2/3"
    export_max_rows: int = 10000
    committee_minimums: dict = field(default_factory=lambda: DEFAULT_MINIMUMS)
    objection_limits: ObjectionLimits = field(default_factory=ObjectionLimits)
    address_pepper: str = ""
    rpc_timeout: float = 30.0
    lookup_timeout: float = 5.0
    # A timer claim older than this is taken to belong to a crashed instance and may be retried.
    stale_claim_seconds: int = 600
    calendar_file: Path = DEFAULT_CALENDAR_FILE

    @classmethod
    def from_config(cls, config):
        rules = config.get("RULES") or {}
        objections = config.get("OBJECTIONS") or {}
        rpc = config.get("RPC") or {}
        minimums = config.get("COMMITTEE_MINIMUMS") or DEFAULT_MINIMUMS
        defaults = cls()
        return cls(
            unit_publicity_working_days=int(rules.get("unit_publicity_working_days", 5)),
            unit_publicity_max_days_back=int(rules.get("unit_publicity_max_days_back", 30)),
            publicity_working_days=int(rules.get("publicity_working_days", 5)),
            quorum_share=str(rules.get("quorum_share", "2/3")),
            pass_share=str(rules.get("pass_share", "2/3")),
            export_max_rows=int(rules.get("export_max_rows", 10000)),
            committee_minimums={band: {kind: int(number) for kind, number in values.items()}
                                for band, values in minimums.items()},
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
        )
