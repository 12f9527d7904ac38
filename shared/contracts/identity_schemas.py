"""Identity's published input schemas: the bodies the gateway documents (its OpenAPI document) and
identity validates with, field by field, in Chinese. Identity's other RPC schemas stay in the service.

The fields apply the platform's text rules (shared/text_rules.py) again behind the gateway's edge,
and the rules for phones and login names published in shared/contracts/identity.py.
"""
import marshmallow as ma
from marshmallow import fields, validate

from shared import text_rules
from shared.contracts.identity import normalize_login_name, normalize_phone
from shared.idnumbers import InvalidResidentId, check_credit_code, parse_resident_id
from shared.roles import ROLE_LABELS

# --- fields with Chinese messages ----------------------------------------------------------------

COMMON_MESSAGES = {"required": "此项为必填项", "null": "此项不能为空", "validator_failed": "取值无效"}
REASON_LIMIT = "原因不能超过 500 个字符"


def _refuse_hostile(rule, value):
    problem = rule(value)
    if problem:
        raise ma.ValidationError(problem)
    return value


class Text(fields.String):
    """One line (a name, a phone, a code), or with ``multiline=True`` free text such as a reason."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为文本", "invalid_utf8": "文本编码无效"}

    def __init__(self, *args, multiline=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = text_rules.text_problem if multiline else text_rules.line_problem

    def _deserialize(self, value, attr, data, **kwargs):
        return _refuse_hostile(self.rule, super()._deserialize(value, attr, data, **kwargs)).strip()


class Secret(fields.String):
    """A password or code: never stripped, since spaces may be part of it."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为文本", "invalid_utf8": "文本编码无效"}

    def _deserialize(self, value, attr, data, **kwargs):
        return _refuse_hostile(text_rules.line_problem, super()._deserialize(value, attr, data, **kwargs))


class Id(fields.UUID):
    """An identity record's id (a UUID), loaded as its string."""

    default_error_messages = {**COMMON_MESSAGES, "invalid_uuid": "编号格式无效"}

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


class Flag(fields.Boolean):
    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为是或否（true/false）"}


class ResidentIdNumber(Text):
    """A 公民身份号码, checked with shared.idnumbers; each failed check has its own message."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_resident_id(super()._deserialize(value, attr, data, **kwargs)).number
        except InvalidResidentId as error:
            raise ma.ValidationError(error.message) from None


class Phone(Text):
    """A mainland mobile number, loaded as its 11 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_phone(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


class LoginName(Text):
    """An administrator's login name, loaded in lower case."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_login_name(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


class CreditCode(Text):
    """A 统一社会信用代码 that is well formed; its checksum is judged later (a warning, not an error)."""

    def _deserialize(self, value, attr, data, **kwargs):
        check = check_credit_code(super()._deserialize(value, attr, data, **kwargs))
        if not check.well_formed:
            raise ma.ValidationError("统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）")
        return check.code


def role_field(**kwargs):
    return Text(validate=validate.OneOf(list(ROLE_LABELS), error="未知的角色"), **kwargs)


def name_field(maximum, **kwargs):
    return Text(validate=validate.Length(1, maximum, error=f"长度应为 1–{maximum} 个字符"), **kwargs)


def reason_field():
    return Text(multiline=True, load_default=None, allow_none=True, validate=validate.Length(max=500, error=REASON_LIMIT))


class Schema(ma.Schema):
    """Unknown fields are refused (marshmallow's default), with Chinese messages."""

    error_messages = {"unknown": "不允许的字段", "type": "数据格式无效，应为对象"}


# --- sign-in and passwords -----------------------------------------------------------------------

class RegisterSchema(Schema):
    name = Text(required=True, validate=validate.Length(2, 50, error="姓名应为 2–50 个字符"))
    id_number = ResidentIdNumber(required=True)
    phone = Phone(required=True)
    password = Secret(required=True)


class LoginSchema(Schema):
    username = Text(required=True, validate=validate.Length(1, 64, error="请输入身份证号、手机号或登录名"))
    password = Secret(required=True, validate=validate.Length(1, 256, error="请输入密码"))


class RefreshTokenSchema(Schema):
    refresh_token = Secret(required=True, validate=validate.Length(1, 512, error="缺少刷新令牌"))
    everywhere = Flag(load_default=False)


class LogoutSchema(Schema):
    """Either token of the session: the refresh token, or its access token (even an expired one)."""

    refresh_token = Secret(load_default=None, allow_none=True, validate=validate.Length(1, 512, error="刷新令牌无效"))
    access_token = Secret(load_default=None, allow_none=True, validate=validate.Length(1, 4096, error="访问令牌无效"))
    everywhere = Flag(load_default=False)

    @ma.validates_schema
    def needs_a_token(self, data, **kwargs):
        if not data.get("refresh_token") and not data.get("access_token"):
            raise ma.ValidationError("缺少刷新令牌或访问令牌", "refresh_token")


class ChangePasswordSchema(Schema):
    old_password = Secret(required=True)
    new_password = Secret(required=True)


class ResetRequestSchema(Schema):
    phone = Phone(required=True)


class ResetConfirmSchema(Schema):
    phone = Phone(required=True)
    code = Text(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="验证码为 6 位数字"))
    new_password = Secret(required=True)


# --- accounts and roles --------------------------------------------------------------------------

class CreateAdminAccountSchema(Schema):
    login_name = LoginName(required=True)
    name = name_field(50, required=True)
    password = Secret(required=True)
    role = role_field(required=True)
    org_id = Id(required=True)
    phone = Phone(load_default=None, allow_none=True)
    work_unit_id = Id(load_default=None, allow_none=True)


class RoleGrantSchema(Schema):
    account_id = Id(required=True)
    role = role_field(required=True)
    org_id = Id(required=True)


class RoleRequestDecisionSchema(Schema):
    request_id = Id(required=True)
    reason = reason_field()


# --- organisations and memberships ---------------------------------------------------------------

class RegisterUnitSchema(Schema):
    name = name_field(100, required=True)
    credit_code = CreditCode(required=True)
    parent_id = Id(required=True)
    contact_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=50, error="联系人过长"))
    contact_phone = Text(load_default=None, allow_none=True, validate=validate.Length(max=20, error="联系电话过长"))


class UnitDecisionSchema(Schema):
    unit_id = Id(required=True)
    confirm_credit_code = Flag(load_default=False)
    reason = reason_field()


class MembershipRequestSchema(Schema):
    unit_id = Id(required=True)


class MembershipDecisionSchema(Schema):
    membership_id = Id(required=True)
    reason = reason_field()
