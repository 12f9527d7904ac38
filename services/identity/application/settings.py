"""Identity's policy settings, read from config.yaml, with the defaults of the issue."""
from dataclasses import dataclass, field

from ..domain import PasswordPolicy, ResetCodePolicy
from ..throttles import BackOff, ThrottlePolicy


@dataclass(frozen=True)
class Settings:
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    throttles: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    reset_codes: ResetCodePolicy = field(default_factory=ResetCodePolicy)
    refresh_ttl_seconds: int = 7 * 24 * 3600
    reset_code_pepper: str = ""

    @classmethod
    def from_config(cls, config):
        codes = config.get("RESET_CODES") or {}
        passwords = config.get("PASSWORDS") or {}
        return cls(
            password_policy=PasswordPolicy(min_length=int(passwords.get("MIN_LENGTH") or 8)),
            throttles=throttle_policy(config.get("THROTTLES") or {}),
            reset_codes=ResetCodePolicy(
                ttl_minutes=int(codes.get("TTL_MINUTES") or 10),
                max_attempts=int(codes.get("MAX_ATTEMPTS") or 5),
                resend_seconds=int(codes.get("RESEND_SECONDS") if codes.get("RESEND_SECONDS") is not None else 60),
            ),
            refresh_ttl_seconds=int((config.get("TOKENS") or {}).get("REFRESH_TTL_SECONDS") or 7 * 24 * 3600),
            reset_code_pepper=str(codes.get("PEPPER") or ""),
        )


def throttle_policy(section):
    """The ``THROTTLES`` config section as a ThrottlePolicy (defaults for what is missing)."""
    defaults = ThrottlePolicy()

    def backoff(prefix, default):
        return BackOff(
            free=int(section.get(f"{prefix}_FREE_FAILURES") or default.free),
            base_seconds=int(section.get(f"{prefix}_BASE_SECONDS") or default.base_seconds),
            cap_seconds=int(section.get(f"{prefix}_MAX_SECONDS") or default.cap_seconds),
            memory_seconds=int(section.get(f"{prefix}_MEMORY_SECONDS") or default.memory_seconds),
        )

    return ThrottlePolicy(
        address=backoff("ADDRESS", defaults.address), pair=backoff("ACCOUNT_ADDRESS", defaults.pair),
        reset_codes=backoff("RESET_CODE_ADDRESS", defaults.reset_codes),
        reset_requests_per_address_hour=int(section.get("RESET_REQUESTS_PER_ADDRESS_HOUR")
                                            or defaults.reset_requests_per_address_hour),
    )
