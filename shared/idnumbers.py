"""Identity numbers the platform handles: resident ID numbers and unified social credit codes.

* Resident ID numbers (居民身份证号码) follow GB 11643-1999: a 6-digit address code, an 8-digit
  birth date ``YYYYMMDD``, a 3-digit sequence whose last digit is odd for men and even for women,
  and a check character computed over the first 17 digits (ISO 7064 MOD 11-2).
* Unified social credit codes (统一社会信用代码) follow GB 32100-2015: 18 characters from a
  31-character alphabet, the last one a check character computed modulo 31.

Only structure and arithmetic are checked here. A number that passes is well formed, not proven to
belong to a real person or organisation; address codes in particular are not checked against the
current list, because numbers issued under retired codes (for example 530122, the former 呈贡县)
remain valid for life.
"""
from dataclasses import dataclass
import string
from datetime import date

from .clock import beijing_today

# Only ASCII letters are upper-cased: str.upper() can turn one character into two
# ("ﬀ" -> "FF"), which would let a 17-character input pass as 18 valid characters.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

# str.isdigit() also accepts full-width and superscript digits; only ASCII digits are valid here.
_DIGITS = frozenset("0123456789")

RESIDENT_ID_LENGTH = 18
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Index is the weighted sum modulo 11, value is the check character.
_RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"

CREDIT_CODE_LENGTH = 18
# GB 32100-2015 leaves out I, O, S, V and Z because they are easily confused with 1, 0, 5, U and 2.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_VALUES = {character: value for value, character in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MALE = "male"
FEMALE = "female"
# How pages and documents name them; the Chinese words map to themselves, since dossiers from
# before issue 18 recorded the gender their applicant typed as 男/女.
GENDER_LABELS = {MALE: "男", FEMALE: "女", "男": "男", "女": "女"}


class InvalidResidentId(ValueError):
    """A resident ID number failed a check: ``check`` names it for code, the message for people.

    ``check`` is one of ``"length"``, ``"characters"``, ``"birth_date"`` or ``"check_digit"``.
    Messages never repeat the number itself, so they are safe to log.
    """

    LENGTH = "length"
    CHARACTERS = "characters"
    BIRTH_DATE = "birth_date"
    CHECK_DIGIT = "check_digit"

    def __init__(self, check, message):
        super().__init__(message)
        self.check = check
        self.message = message


@dataclass(frozen=True)
class ResidentId:
    """A resident ID number that passed every check, with what it encodes."""

    number: str
    birth_date: date
    gender: str
    region_code: str


@dataclass(frozen=True)
class CreditCodeCheck:
    """The result of checking a credit code; ``checksum_ok`` implies ``well_formed``."""

    code: str
    well_formed: bool
    checksum_ok: bool


def resident_id_check_character(first_17_digits):
    """The check character ("0"–"9" or "X") for the first 17 digits of a resident ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def parse_resident_id(text, *, today=None):
    """Check a resident ID number and return what it encodes, or raise :class:`InvalidResidentId`.

    Surrounding whitespace and a lower-case ``x`` are accepted; the returned ``number`` is stripped
    and upper-case. Checks run in a fixed order — length, characters, birth date, check digit — so
    the error names the first thing a person should fix. *today* exists for tests; it defaults to
    today's Beijing date (shared/clock.py), whatever the server's time zone.
    """
    if not isinstance(text, str):
        # An int loses leading zeros and cannot hold an X, so it is never a usable number.
        raise InvalidResidentId(
            InvalidResidentId.CHARACTERS,
            f"身份证号码应为字符串，收到的是 {type(text).__name__}",
        )
    number = text.strip()

    if len(number) != RESIDENT_ID_LENGTH:
        raise InvalidResidentId(
            InvalidResidentId.LENGTH,
            f"身份证号码长度应为 {RESIDENT_ID_LENGTH} 位，实际为 {len(number)} 位",
        )

    number = number.translate(_ASCII_UPPER)
    body, check_character = number[:17], number[17]
    if not set(body) <= _DIGITS or not (check_character in _DIGITS or check_character == "X"):
        raise InvalidResidentId(
            InvalidResidentId.CHARACTERS,
            "身份证号码含有非法字符：前 17 位应为数字，最后一位应为数字或 X",
        )

    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId(
            InvalidResidentId.BIRTH_DATE, "身份证号码中的出生日期不是真实存在的日期"
        ) from None
    if birth_date > (today if today is not None else beijing_today()):
        raise InvalidResidentId(InvalidResidentId.BIRTH_DATE, "身份证号码中的出生日期晚于今天")

    if resident_id_check_character(body) != check_character:
        raise InvalidResidentId(
            InvalidResidentId.CHECK_DIGIT, "身份证号码校验码不正确，请核对是否有输错的数字"
        )

    return ResidentId(
        number=number,
        birth_date=birth_date,
        # The 17th character is the last digit of the sequence code: odd for men, even for women.
        gender=MALE if int(number[16]) % 2 else FEMALE,
        region_code=number[:6],
    )


def credit_code_check_character(first_17_characters):
    """The check character for the first 17 characters of a credit code (all from the alphabet)."""
    total = sum(
        _CREDIT_CODE_VALUES[character] * weight
        for character, weight in zip(first_17_characters, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    # 31 - (total mod 31) is 1..31; the standard writes a result of 31 as 0.
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(text):
    """Check a unified social credit code's form and check character; never raises.

    Surrounding whitespace and lower case are accepted; the returned ``code`` is stripped and
    upper-case. A value that is not a string is reported as not well formed.
    """
    if not isinstance(text, str):
        code = "" if text is None else str(text)
        return CreditCodeCheck(code=code, well_formed=False, checksum_ok=False)
    code = text.strip().translate(_ASCII_UPPER)
    well_formed = len(code) == CREDIT_CODE_LENGTH and all(c in _CREDIT_CODE_VALUES for c in code)
    checksum_ok = well_formed and credit_code_check_character(code[:17]) == code[17]
    return CreditCodeCheck(code=code, well_formed=well_formed, checksum_ok=checksum_ok)


def mask_resident_id(number):
    """Hide the middle of a resident ID number for display: ``5301**********123X``.

    The first and last four characters stay visible on a full-length number. Shorter input shows
    fewer so that at most half is ever revealed, and input under 9 characters is masked entirely.
    ``None`` gives an empty string.
    """
    if number is None:
        return ""
    text = str(number).strip().translate(_ASCII_UPPER)
    length = len(text)
    if length < 9:
        return "*" * length
    # length // 4 characters at each end reveal at most half; four is the cap for a full number.
    shown = min(4, length // 4)
    return text[:shown] + "*" * (length - 2 * shown) + text[-shown:]
