"""marshmallow schemas at identity's RPC edge: input with Chinese field messages, output as plain data.

The input schemas the gateway also documents are published in shared/contracts/identity_schemas.py
and named here; the rest (queries, ids, the actor) and every output schema are identity's own.
"""
import marshmallow as ma
from marshmallow import fields, validate

from shared import schemas as shared_schemas
from shared.schemas import dump  # noqa: F401 (the one answer style; service.py answers with it)
from shared.contracts.identity import (
    APPROVED, CONFIRMED, CREATED_ORG_KINDS, FRAUD, MEMBERSHIP_STATUSES, ORG_KIND_LABELS, ORG_STATUSES, PENDING,
    ROLE_REQUEST_STATUSES,
)
from shared.contracts.identity_schemas import (  # noqa: F401 (published; named here for the service)
    COMMON_MESSAGES, ChangePasswordSchema, CreateAdminAccountSchema, Flag, Id, LoginSchema, LogoutSchema,
    MembershipDecisionSchema, MembershipRequestSchema, RefreshTokenSchema, RegisterSchema, RegisterUnitSchema,
    ResetConfirmSchema, ResetRequestSchema, RoleGrantSchema, RoleRequestDecisionSchema, Schema, Secret, Text,
    UnitDecisionSchema, name_field, role_field,
)
from shared.roles import CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, UNIT_ADMIN, Actor

from .exceptions import InvalidInputError

ALL = "all"  # a query's status filter that lists every status


class Whole(fields.Integer):
    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为整数", "too_large": "数值过大"}


class Day(fields.Date):
    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为日期（YYYY-MM-DD）", "format": "日期格式无效"}


def load(schema_class, data):
    """Load *data* with a schema, or raise InvalidInputError naming every bad field in Chinese."""
    try:
        return schema_class().load(data if data is not None else {})
    except ma.ValidationError as error:
        raise InvalidInputError("提交的信息有误，请按提示修改", fields=error.messages) from None


# --- input ---------------------------------------------------------------------------------------

class ActorSchema(shared_schemas.ActorSchema):
    """The platform's actor, with identity's stricter fields (ids are UUIDs, Chinese messages); loads
    as a shared.roles.Actor."""

    error_messages = Schema.error_messages
    account_id = Id(required=True)
    role = role_field(required=True)
    org_id = Id(load_default=None, allow_none=True)

    @ma.post_load
    def make_actor(self, data, **kwargs):
        return Actor(**data)


class AccessTokenSchema(Schema):
    access_token = Secret(required=True, validate=validate.Length(1, 4096, error="缺少访问令牌"))


class AccountIdSchema(Schema):
    account_id = Id(required=True)


class ContactsSchema(Schema):
    """Accounts whose contact details another service needs to tell them something (notification)."""

    account_ids = shared_schemas.List(Id(), required=True,
                                      validate=validate.Length(1, 500, error="应有 1 到 500 个账号"))


# The offices whose holders are told of work for them; applicants and experts are reached by account id.
OFFICE_ROLES = (UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, COMMITTEE_SECRETARY)


class RoleHoldersSchema(Schema):
    role = Text(required=True, validate=validate.OneOf(OFFICE_ROLES, error="只能查询单位管理员、主管部门/区县人社局审核员、"
                                                                        "市人社局审核员或评委会办公室的人员"))
    org_id = Id(load_default=None, allow_none=True)


class IdNumberLookupSchema(Schema):
    """An audit officer's search by the full resident ID number (checked by identity itself)."""

    id_number = Text(required=True, validate=validate.Length(1, 30, error="身份证号码应为 18 位"))


class IdNumberLookupOut(Schema):
    found = fields.Boolean()
    account_id = fields.String(allow_none=True)


class AccountActionSchema(Schema):
    account_id = Id(required=True)
    reason = Text(multiline=True, load_default=None, validate=validate.Length(max=500, error="原因不能超过 500 个字符"))


class RoleRequestQuerySchema(Schema):
    status = Text(load_default=PENDING, validate=validate.OneOf([*ROLE_REQUEST_STATUSES, ALL], error="未知的状态"))
    limit = Whole(load_default=100, validate=validate.Range(1, 500, error="条数应为 1–500"))


class OrgIdSchema(Schema):
    org_id = Id(required=True)


class OrgQuerySchema(Schema):
    kind = Text(load_default=None, allow_none=True, validate=validate.OneOf(list(ORG_KIND_LABELS), error="未知的机构类型"))
    q = Text(load_default=None, allow_none=True, validate=validate.Length(max=50, error="关键字过长"))
    parent_id = Id(load_default=None, allow_none=True)
    status = Text(load_default=APPROVED, validate=validate.OneOf([*ORG_STATUSES, ALL], error="未知的状态"))


class UnitsUnderSchema(Schema):
    org_id = Id(required=True)
    include_pending = Flag(load_default=False)


class UnitMembersSchema(Schema):
    unit_id = Id(required=True)
    status = Text(load_default=CONFIRMED, validate=validate.OneOf([*MEMBERSHIP_STATUSES, ALL], error="未知的状态"))


class CreateOrgSchema(Schema):
    name = name_field(100, required=True)
    kind = Text(required=True, validate=validate.OneOf(list(CREATED_ORG_KINDS), error="只能创建区县人社局、市级主管部门或评审委员会"))
    parent_id = Id(required=True)
    code = Text(load_default=None, allow_none=True, validate=validate.Length(max=32, error="代码过长"))


class RecordSanctionSchema(Schema):
    account_id = Id(required=True)
    kind = Text(load_default=FRAUD, validate=validate.OneOf([FRAUD], error="未知的处理类型"))
    reason = Text(multiline=True, required=True, validate=validate.Length(1, 1000, error="请填写处理原因（不超过 1000 字）"))
    sanctioned_on = Day(required=True)
    # From the policy of the year the fraud was found in (notice ``sanction_bar_years.fraud``).
    bar_years = Whole(required=True, strict=True, validate=validate.Range(0, 20, error="禁止申报年限应为 0 到 20 年"),
                      error_messages={"required": "请注明禁止申报年限(当年评审政策的弄虚作假禁止申报年限)"})
    reference = Text(load_default=None, allow_none=True, validate=validate.Length(max=100, error="关联编号过长"))


class CanApplySchema(Schema):
    account_id = Id(required=True)
    review_year = Whole(required=True, strict=True, validate=validate.Range(2000, 2100, error="评审年度无效"))
    unit_id = Id(load_default=None, allow_none=True)
    on = Day(load_default=None, allow_none=True)


class InScopeSchema(Schema):
    org_id = Id(required=True)


class AuditQuerySchema(Schema):
    account_id = Id(load_default=None, allow_none=True)
    action = Text(load_default=None, allow_none=True, validate=validate.Length(max=32))
    limit = Whole(load_default=100, validate=validate.Range(1, 1000, error="条数应为 1–1000"))


# --- output --------------------------------------------------------------------------------------

class RoleOut(Schema):
    role = fields.String()
    role_label = fields.String()
    org_id = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)


class MembershipOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    status = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class RoleRequestOut(Schema):
    id = fields.String()
    kind = fields.String()
    account_id = fields.String()
    account_name = fields.String()
    login_name = fields.String(allow_none=True)
    role = fields.String()
    role_label = fields.String()
    org_id = fields.String()
    status = fields.String()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class AccountOut(Schema):
    id = fields.String()
    name = fields.String()
    login_name = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    phone_masked = fields.String(allow_none=True)
    status = fields.String()
    locked_until = fields.DateTime(allow_none=True)
    roles = fields.List(fields.Nested(RoleOut))
    membership = fields.Nested(MembershipOut, allow_none=True)
    # Review roles a sysadmin asked for, waiting for the city admin office (not yet in ``roles``).
    pending_role_requests = fields.List(fields.Nested(RoleRequestOut))
    created_at = fields.DateTime()


class ContactOut(Schema):
    """Where a person can be told something: an internal answer (the full phone number), for the
    notification service only; the gateway never forwards it."""

    account_id = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    status = fields.String()


class TokensOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    access_expires_at = fields.DateTime()
    refresh_token = fields.String()
    refresh_expires_at = fields.DateTime()
    session_id = fields.String()
    # Only at login: the sign-in's CSRF token (pages put it in forms; access tokens carry its digest).
    csrf_token = fields.String(allow_none=True)
    account = fields.Nested(AccountOut)


class PrincipalOut(Schema):
    account_id = fields.String()
    name = fields.String()
    roles = fields.List(fields.Nested(RoleOut))
    expires_at = fields.DateTime()


class OrgOut(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    parent_id = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    status = fields.String()
    credit_code_checksum_ok = fields.Boolean(allow_none=True)
    credit_code_confirmed = fields.Boolean()
    # Whom an applicant calls about a dossier the organisation holds (the 当前待办 card shows it).
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class UnitRegistrationOut(Schema):
    unit = fields.Nested(OrgOut)
    warnings = fields.List(fields.String())


class MemberOut(Schema):
    membership_id = fields.String()
    account_id = fields.String()
    name = fields.String()
    id_number_masked = fields.String(allow_none=True)
    phone_masked = fields.String(allow_none=True)
    unit_id = fields.String()
    status = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ScopeOut(Schema):
    everything = fields.Boolean()
    org_ids = fields.List(fields.String())


class SanctionOut(Schema):
    id = fields.String()
    account_id = fields.String()
    kind = fields.String()
    reason = fields.String()
    reference = fields.String(allow_none=True)
    sanctioned_on = fields.Date()
    bars_until = fields.Date()
    recorded_at = fields.DateTime()


class RefusalOut(Schema):
    code = fields.String()
    message = fields.String()


class CanApplyOut(Schema):
    account_id = fields.String()
    review_year = fields.Integer()
    allowed = fields.Boolean()
    unit_id = fields.String(allow_none=True)
    reasons = fields.List(fields.Nested(RefusalOut))


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    outcome = fields.String()
    account_id = fields.String(allow_none=True)
    actor_id = fields.String(allow_none=True)
    source_address = fields.String(allow_none=True)
    detail = fields.Dict()



class OkOut(Schema):
    ok = fields.Boolean()


class ResetRequestedOut(Schema):
    """The same answer for every phone, registered or not."""

    message = fields.String()
    expires_in = fields.Integer()


class RevocationListOut(Schema):
    key_prefix = fields.String(allow_none=True)


class PublicKeysOut(Schema):
    algorithm = fields.String()
    issuer = fields.String()
    audience = fields.String()
    keys = fields.Dict(keys=fields.String(), values=fields.String())  # kid -> PEM
    revocation_list = fields.Nested(RevocationListOut)


class HealthOut(Schema):
    service = fields.String()
    status = fields.String()
    database = fields.String()
