"""Certificate numbers: a configurable format and a gap-free serial per year, series and level.

The default format is ``{year}{city}{series_code}{level_digit}{serial:06d}``: review year, the city
code 5301 (昆明), a two-digit series code, a level digit and a six-digit serial. The serial comes
from a counter row incremented in the same transaction that stores the certificate, so a failed
issue rolls its number back and the serials have no gaps. A counter counts only over the parts
the format shows: a format without the series code numbers all series in one sequence.
"""
import string
from dataclasses import dataclass

from sqlalchemy import text

DEFAULT_FORMAT = "{year}{city}{series_code}{level_digit}{serial:06d}"
DEFAULT_CITY_CODE = "5301"
DEFAULT_SERIES_CODES = {"engineering": "01", "health": "02", "education": "03", "agriculture": "04",
                        "economics": "05", "accounting": "06"}
DEFAULT_LEVEL_DIGITS = {"primary": "1", "intermediate": "2", "associate_senior": "3", "senior": "4"}
PLACEHOLDERS = {"year", "issue_year", "city", "series_code", "level_digit", "serial"}
ANY = "*"

_ALLOCATE = text(
    "INSERT INTO certificate_counters (year, series_code, level_digit, last_serial) "
    "VALUES (:year, :series_code, :level_digit, 1) "
    "ON CONFLICT (year, series_code, level_digit) "
    "DO UPDATE SET last_serial = certificate_counters.last_serial + 1 "
    "RETURNING last_serial"
)


@dataclass(frozen=True)
class Numbering:
    template: str = DEFAULT_FORMAT
    city_code: str = DEFAULT_CITY_CODE
    series_codes: dict = None
    level_digits: dict = None

    def __post_init__(self):
        names = {name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None}
        unknown = names - PLACEHOLDERS
        if unknown or "serial" not in names:
            raise ValueError(f"证书编号格式无效:须包含 {{serial}},只能使用 {sorted(PLACEHOLDERS)}")
        object.__setattr__(self, "series_codes", {**DEFAULT_SERIES_CODES, **(self.series_codes or {})})
        object.__setattr__(self, "level_digits", {**DEFAULT_LEVEL_DIGITS, **(self.level_digits or {})})
        object.__setattr__(self, "_names", names)

    @classmethod
    def from_config(cls, settings):
        settings = settings or {}
        return cls(template=settings.get("FORMAT") or DEFAULT_FORMAT,
                   city_code=str(settings.get("CITY_CODE") or DEFAULT_CITY_CODE),
                   series_codes={key: str(value) for key, value in (settings.get("SERIES_CODES") or {}).items()},
                   level_digits={key: str(value) for key, value in (settings.get("LEVEL_DIGITS") or {}).items()})

    def counter_key(self, *, year, issue_year, series, level):
        """Which counter numbers this certificate: only the parts the format shows tell counters apart."""
        if "year" in self._names:
            counted_year = int(year)
        elif "issue_year" in self._names:
            counted_year = int(issue_year)
        else:
            counted_year = 0
        return {
            "year": counted_year,
            "series_code": self.series_codes[series] if "series_code" in self._names else ANY,
            "level_digit": self.level_digits[level] if "level_digit" in self._names else ANY,
        }

    def render(self, *, year, issue_year, series, level, serial):
        return self.template.format(year=int(year), issue_year=int(issue_year), city=self.city_code,
                                    series_code=self.series_codes[series], level_digit=self.level_digits[level],
                                    serial=int(serial))

    def allocate(self, connection, *, year, issue_year, series, level):
        """The next number; the counter row stays locked until the caller's transaction ends."""
        key = self.counter_key(year=year, issue_year=issue_year, series=series, level=level)
        serial = connection.execute(_ALLOCATE, key).scalar()
        return self.render(year=year, issue_year=issue_year, series=series, level=level, serial=serial), serial, key
