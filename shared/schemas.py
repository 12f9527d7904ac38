"""marshmallow building blocks with Chinese error messages, and one way to load input at the edge.

Every service's ``schemas.py`` uses these field classes so that a person always reads field-level
errors in Chinese, and ``load_or_raise`` turns marshmallow's errors into ``ValidationFailed``.
The text and date fields apply the platform's text rules (shared/text_rules.py), the same ones the
gateway applies at its edge: a service refuses hostile text even if it arrives some other way.
"""
import re

from marshmallow import RAISE, Schema, ValidationError, fields, pre_dump, validate

from . import text_rules
from .roles import ROLE_LABELS
from .clock import beijing_today
from .errors import ValidationFailed

_COMMON = {"required": "此项为必填项", "null": "此项不能为空", "validator_failed": "填写内容无效"}


def _refuse(problem):
    if problem:
        raise ValidationError(problem)


class Str(fields.String):
    """One line of text — a name, a code, an id: no control or invisible characters, bounded length."""

    default_error_messages = {**_COMMON, "invalid": "应为文字", "invalid_utf8": "文字编码无效"}
    rule = staticmethod(text_rules.line_problem)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        _refuse(self.rule(text))
        return text


class Text(Str):
    """Multi-line free text (an opinion, a work summary): may also hold line breaks and tabs."""

    rule = staticmethod(text_rules.text_problem)


class Int(fields.Integer):
    default_error_messages = {**_COMMON, "invalid": "应为整数", "too_large": "数值过大"}


class Num(fields.Float):
    default_error_messages = {**_COMMON, "invalid": "应为数字", "special": "应为有效数字", "too_large": "数值过大"}


class Bool(fields.Boolean):
    default_error_messages = {**_COMMON, "invalid": "应为是或否"}


class Date(fields.Date):
    """A calendar date in the years a dossier can mean (shared/text_rules.py)."""

    default_error_messages = {**_COMMON, "invalid": "日期格式应为 YYYY-MM-DD", "format": "日期格式无效"}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        _refuse(text_rules.date_problem(day))
        return day


class DateTime(fields.AwareDateTime):
    default_error_messages = {
        **_COMMON,
        "invalid": "时间格式应为 ISO-8601",
        "invalid_awareness": "时间须带时区",
        "format": "时间格式无效",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        _refuse(text_rules.date_problem(moment))
        return moment


class List(fields.List):
    default_error_messages = {**_COMMON, "invalid": "应为列表"}


class Dict(fields.Dict):
    default_error_messages = {**_COMMON, "invalid": "应为对象"}


class Nested(fields.Nested):
    default_error_messages = {**_COMMON, "type": "应为对象"}


def one_of(choices):
    """A OneOf validator whose message lists the allowed values."""
    return validate.OneOf(list(choices), error="应为以下之一:" + "、".join(str(choice) for choice in choices))


def length(minimum=None, maximum=None):
    if minimum and maximum:
        message = f"长度应在 {minimum} 到 {maximum} 个字符之间"
    elif maximum:
        message = f"不能超过 {maximum} 个字符"
    else:
        message = f"至少 {minimum} 个字符"
    return validate.Length(min=minimum, max=maximum, error=message)


def count(minimum=0, maximum=None):
    """A Length validator for lists, worded as a number of items."""
    return validate.Length(min=minimum, max=maximum, error=f"应有 {minimum} 到 {maximum} 项")


def not_blank(value):
    if not str(value).strip():
        raise ValidationError("此项不能为空")


def not_after_today(day):
    """A date of a person's past (a birth, a start of work, a title obtained): not later than today in Beijing."""
    if day is not None and day > beijing_today():
        raise ValidationError(f"不能晚于今天({beijing_today().isoformat()})")


# A contact number: a mainland mobile (11 digits from 13…–19…) or a landline with its area code
# (0 + 2–3 digits, an optional dash, 7–8 digits) and optionally "-extension". ASCII digits only.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?")
# A sane address, not RFC 5322 in full: dot-separated atoms before the @, a host of LDH labels and a
# letter TLD after it (quoted local parts and IP literals are refused on purpose).
_EMAIL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
EMAIL_LIMIT = 100


def contact_phone(value):
    """A phone someone can be called on: mobile ``13812345678`` or landline ``0871-63123456(-801)``."""
    if _MOBILE.fullmatch(value or "") or _LANDLINE.fullmatch(value or ""):
        return
    raise ValidationError("联系电话应为 11 位手机号码(如 13812345678)或带区号的固定电话(如 0871-63123456,"
                          "分机号可写作 0871-63123456-801)")


def email_address(value):
    """An e-mail address of a sane shape (an empty value is the caller's concern: optional fields)."""
    if value and len(value) > EMAIL_LIMIT:
        raise ValidationError(f"电子邮箱不能超过 {EMAIL_LIMIT} 个字符")
    if value and not (_EMAIL.fullmatch(value) and len(value.split("@")[0]) <= 64):
        raise ValidationError("电子邮箱格式不正确,应如 zhangsan@example.com")


def in_range(minimum=None, maximum=None):
    return validate.Range(min=minimum, max=maximum, error=f"应在 {minimum} 到 {maximum} 之间")


class StrictSchema(Schema):
    """Unknown fields are refused, with Chinese messages."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不允许的字段", "type": "数据格式无效,应为对象"}


def load_or_raise(schema, data, message="提交的信息有误,请按提示修改"):
    """Load *data* with *schema*; on failure raise ValidationFailed naming every bad field."""
    try:
        return schema.load(data if data is not None else {})
    except ValidationError as error:
        raise ValidationFailed(message, fields=error.messages) from None


def plain(value):
    """Loaded data as JSON-safe values (dates as ISO strings), fit for events and RPC replies."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ActorSchema(StrictSchema):
    """Who acts, as the gateway sends it with every command: the authenticated account, the role it acts
    in and the organisation of that role; ``correlation_id`` ties the act to the request that caused it."""

    account_id = Str(required=True, validate=not_blank)
    role = Str(required=True, validate=one_of(ROLE_LABELS))
    org_id = Str(allow_none=True, load_default=None)
    correlation_id = Str(allow_none=True, load_default=None)



# --- the RPC edge's answers ---------------------------------------------------------------------------

class AnswerShapeError(Exception):
    """Raised when a service is about to answer with a field its answer schema does not declare: the
    answer's shape is part of what callers rely on, so a new field is declared, never dropped silently."""


class OutSchema(Schema):
    """Base of every answer schema at a service's RPC edge: ``dump(SomeOut, value)`` gives the JSON-safe
    answer (dates and times as ISO strings). A dict holding a key the schema does not declare raises
    ``AnswerShapeError`` instead of losing that key; a field declared ``Raw`` passes through as it is."""

    @pre_dump(pass_collection=False)
    def _refuse_undeclared(self, value, **kwargs):
        if isinstance(value, dict):
            undeclared = sorted(set(value) - set(self.fields))
            if undeclared:
                raise AnswerShapeError(f"{type(self).__name__} does not declare {', '.join(map(str, undeclared))}")
        return value


def dump(schema_class, value, many=False):
    """The one way a service answers an RPC: *value* (a dict, an object, or a list of them with *many*)
    shaped by its answer schema."""
    return schema_class(many=many).dump(value)


class IsoText(fields.Field):
    """A date or a moment in an answer as ISO-8601 text (``2026-05-06``, ``2026-05-06T02:00:00+00:00``):
    a use case that already wrote the text passes it as it is, a date or datetime is written with
    ``isoformat``, and None stays None (the moment has not come)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if hasattr(value, "isoformat") else value


class PassThrough(fields.Raw):
    """A nested structure in an answer whose shape is its owner's (an error another service raised, a
    stored JSON document), passed through made JSON-safe as ``plain`` makes it."""

    def _serialize(self, value, attr, obj, **kwargs):
        return plain(value)
