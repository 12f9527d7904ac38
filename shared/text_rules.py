"""What text the platform accepts: one set of rules, used by the gateway's edge and by every service's
schemas (shared/schemas.py), so both refuse the same things with the same Chinese message.

Refused in every text: NUL and the other control characters (C0, DEL, C1), lone surrogates (broken
UTF-16 that cannot even be stored as UTF-8), noncharacters, and the invisible format characters that
hide or reorder what a reader sees (bidi embeddings, overrides and isolates U+202A–U+202E and
U+2066–U+2069, the marks U+200E, U+200F, U+061C, zero-width U+200B, U+2060–U+2064, the BOM U+FEFF …).
Multi-line free text (an opinion, a work summary) may also hold tab, line feed, carriage return, the
line/paragraph separators and the zero-width (non-)joiners that emoji and some scripts need; a line
(a name, a code, an id) may not. Also bounded here: lengths, JSON nesting and the years a date may have.
"""
import re
import sys
import unicodedata
from datetime import date, datetime

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
MAX_JSON_DEPTH = 32
LINE_LIMIT = 1000  # no name, code or id comes near it; a field that needs more is multi-line text
TEXT_LIMIT = 100_000  # the longest free text is a few thousand characters

# Allowed in multi-line text only: \t \n \r, LINE/PARAGRAPH SEPARATOR, ZERO WIDTH NON-JOINER/JOINER.
_MULTILINE_ONLY = "\t\n\r\u2028\u2029\u200c\u200d"


def _format_characters():
    """Every code point of category Cf (format) in this Python's Unicode database."""
    return "".join(chr(code) for code in range(sys.maxunicode + 1)
                   if not 0xD800 <= code <= 0xDFFF and unicodedata.category(chr(code)) == "Cf")


def _noncharacters():
    """U+FDD0–U+FDEF and the last two code points of every plane: never valid in interchange."""
    return "".join(chr(code) for code in range(0xFDD0, 0xFDF0)) + "".join(
        chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))


def _character_class(characters):
    return "[" + "".join(re.escape(ch) for ch in characters) + "]"


_CONTROLS = "".join(chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)))
_SURROGATES = "".join(chr(code) for code in range(0xD800, 0xE000))
_ALWAYS_REFUSED = _CONTROLS + _SURROGATES + _format_characters() + _noncharacters() + "\u2028\u2029"
_REFUSED_IN_LINE = re.compile(_character_class(_ALWAYS_REFUSED))
_REFUSED_IN_TEXT = re.compile(_character_class(ch for ch in _ALWAYS_REFUSED if ch not in _MULTILINE_ONLY))
# A value that is nothing but an ISO date (optionally with a time): its year is checked.
_ISO_DATE = re.compile(r"[+-]?(\d{4,})-\d{2}-\d{2}(?:[T ][0-9:.,]+(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _code_point(ch):
    return f"U+{ord(ch):04X}"


def character_problem(ch):
    """The Chinese reason a refused character *ch* is refused."""
    code = ord(ch)
    if code == 0:
        return "不能包含空字符(U+0000)"
    if 0xD800 <= code <= 0xDFFF:
        return f"含有无效的字符编码(孤立的代理项 {_code_point(ch)})"
    if ch in _MULTILINE_ONLY:
        return f"此项只能填写一行,不能包含换行、制表符或不可见字符({_code_point(ch)})"
    if unicodedata.category(ch) == "Cc":
        return f"不能包含控制字符({_code_point(ch)})"
    if unicodedata.category(ch) == "Cf":
        return f"不能包含不可见的格式字符或文字方向控制字符({_code_point(ch)})"
    return f"含有无效的字符({_code_point(ch)})"


def _problem(value, refused, limit):
    if not isinstance(value, str):
        return None
    if len(value) > limit:
        return f"内容过长,不能超过 {limit} 个字符"
    found = refused.search(value)
    return character_problem(found.group()) if found else None


def line_problem(value, limit=LINE_LIMIT):
    """Why *value* is not acceptable as one line of text (a name, a code, an id), or None."""
    return _problem(value, _REFUSED_IN_LINE, limit)


def text_problem(value, limit=TEXT_LIMIT):
    """Why *value* is not acceptable as multi-line free text, or None."""
    return _problem(value, _REFUSED_IN_TEXT, limit)


def year_problem(year):
    if EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    return f"日期无效:年份应在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间"


def date_problem(value):
    """Why a date or datetime is absurd (its year far outside any real dossier), or None."""
    return year_problem(value.year) if isinstance(value, (date, datetime)) else None


def iso_date_problem(value):
    """For a string that is an ISO date or date-time, why its year is absurd; None for anything else."""
    found = _ISO_DATE.fullmatch(value) if isinstance(value, str) and len(value) <= 40 else None
    return year_problem(int(found.group(1))) if found else None


def nesting_problem(raw_json, limit=MAX_JSON_DEPTH):
    """Why the JSON text is nested too deeply to be parsed, or None; counted before parsing, so a
    hostile document never reaches the recursive parser. Brackets inside strings do not count."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', raw_json)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return f"数据嵌套不能超过 {limit} 层"
    return None


def printable(text):
    """*text* with every character PostgreSQL text cannot hold (NUL, lone surrogates) written as an
    escape (``\\x00``, ``\\ud800``): safe to store and to log, and it still shows what arrived."""
    if not isinstance(text, str):
        return text
    return re.sub("[\x00\ud800-\udfff]", lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
