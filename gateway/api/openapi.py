"""The OpenAPI document, generated from the gateway's routes and the marshmallow schemas they accept."""
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.contracts import certificate as certificate_contract
from shared.contracts import notification as notification_contract
from shared.contracts import dossier_schemas, identity_schemas, notice_schemas, review_schemas
from shared.contracts import payment as payment_contract
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import MAX_LENGTH as IDEMPOTENCY_MAX
from shared.idempotency import MIN_LENGTH as IDEMPOTENCY_MIN
from shared.idempotency import STATE_CHANGING_METHODS

from .parameters import query_parameters

# (method, route) -> the schema of its JSON body; the services validate with the same schemas.
REQUEST_BODIES = {
    ("POST", "/api/v1/auth/register"): identity_schemas.RegisterSchema,
    ("POST", "/api/v1/auth/login"): identity_schemas.LoginSchema,
    ("POST", "/api/v1/auth/refresh"): identity_schemas.RefreshTokenSchema,
    ("POST", "/api/v1/auth/logout"): identity_schemas.LogoutSchema,
    ("POST", "/api/v1/accounts"): identity_schemas.CreateAdminAccountSchema,
    ("POST", "/api/v1/accounts/<account_id>/roles"): identity_schemas.RoleGrantSchema(exclude=("account_id",)),
    ("POST", "/api/v1/role-requests/<request_id>/refuse"): identity_schemas.RoleRequestDecisionSchema(
        exclude=("request_id",)),
    ("POST", "/api/v1/orgs/units"): identity_schemas.RegisterUnitSchema,
    ("POST", "/api/v1/memberships"): identity_schemas.MembershipRequestSchema,
    ("POST", "/api/v1/dossiers"): dossier_schemas.CreateDossierSchema,
    ("POST", "/api/v1/dossiers/<dossier_id>/decisions"): dossier_schemas.DecisionSchema,
    ("POST", "/api/v1/dossiers/<dossier_id>/take-back"): dossier_schemas.TakeBackSchema,
    ("POST", "/api/v1/dossiers/<dossier_id>/achievements"): dossier_schemas.AchievementSchema,
    ("POST", "/api/v1/notices"): notice_schemas.NoticeSchema,
    ("POST", "/api/v1/notices/drafts"): notice_schemas.NoticeSchema,
    ("POST", "/api/v1/review/dossiers/<dossier_id>/decisions"): review_schemas.DecisionSchema,
    ("POST", "/api/v1/review/unit-publicity"): review_schemas.UnitPublicitySchema,
    ("POST", "/api/v1/review/batches"): review_schemas.BatchSchema,
    ("POST", "/api/v1/committees"): review_schemas.CommitteeSchema,
    ("POST", "/api/v1/committees/<committee_id>/experts"): review_schemas.ExpertsSchema,
    ("POST", "/api/v1/committees/<committee_id>/experts/<expert_id>/unit"): review_schemas.ExpertUnitChangeSchema,
    ("POST", "/api/v1/meetings"): review_schemas.MeetingSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/draw"): review_schemas.DrawSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/dossiers"): review_schemas.DossierIdsSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/attendance"): review_schemas.AttendanceSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/dossier-changes"): review_schemas.DossierChangeSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/leads"): review_schemas.LeadsSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/lead-opinions"): review_schemas.LeadOpinionSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/conflicts"): review_schemas.ConflictSchema,
    ("POST", "/api/v1/meetings/<meeting_id>/ballots"): review_schemas.BallotSchema,
    ("POST", "/api/v1/publicity"): review_schemas.PublishSchema,
    ("POST", "/api/v1/publicity/<publicity_id>/objections"): review_schemas.ObjectionSchema,
    ("POST", "/api/v1/objections/<objection_id>/resolve"): review_schemas.ResolutionSchema,
    ("PATCH", "/api/v1/committees/<committee_id>"): review_schemas.CommitteeSchema,
    ("PUT", "/api/v1/calendar/<int:year>"): review_schemas.CalendarYearSchema,
    ("POST", "/api/v1/auth/password"): identity_schemas.ChangePasswordSchema,
    ("POST", "/api/v1/auth/password-reset/request"): identity_schemas.ResetRequestSchema,
    ("POST", "/api/v1/auth/password-reset/confirm"): identity_schemas.ResetConfirmSchema,
    ("POST", "/api/v1/orgs/units/<unit_id>/approve"): identity_schemas.UnitDecisionSchema(exclude=("unit_id",)),
    ("POST", "/api/v1/memberships/<membership_id>/reject"): identity_schemas.MembershipDecisionSchema(
        exclude=("membership_id",)),
    ("POST", "/api/v1/certificates/<number>/revoke"): certificate_contract.RevokeSchema(exclude=("number",)),
    ("PUT", "/api/v1/fee-schedules/<review_year>"): payment_contract.FeeScheduleSchema(exclude=("review_year",)),
    ("POST", "/api/v1/messages/read"): notification_contract.MarkReadSchema,
    ("PUT", "/api/v1/me/notification-preferences"): notification_contract.PreferencesSchema,
}
# Bodies that are not one marshmallow schema, as JSON Schema.
OTHER_BODIES = {
    ("POST", "/api/v1/dossiers/<dossier_id>/withdraw"): {"application/json": {"schema": {
        "type": "object", "properties": {"reason": {"type": "string", "maxLength": 2000, "description": "撤销原因"}}}}},
    ("PUT", "/api/v1/dossiers/<dossier_id>/sections/<section>"): {"application/json": {"schema": {
        "type": "object", "description": "该栏目的内容:basic_info、review_form、commitment 为栏目字段;education、"
        "work_experience、continuing_education、annual_assessments 为 {entries: [...]}(字段见各服务校验的中文错误)"}}},
    ("POST", "/api/v1/dossiers/<dossier_id>/materials"): {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "category"], "properties": {
            "file": {"type": "string", "format": "binary", "description": "PDF 文件(按内容检查,不看扩展名)"},
            "category": {"type": "string", "description": "材料类别代码"},
            "year": {"type": "integer", "description": "选填:材料所属年度(年度考核登记表、继续教育证明按年度计)"},
            "achievement_id": {"type": "string", "description": "选填:材料所证明的业绩成果编号(须为本申报的业绩成果)"}}}}},
    ("POST", "/api/v1/payments/notify/<provider>"): {"application/json": {"schema": {
        "type": "object", "description": "支付渠道的通知原文(签名覆盖原文,网关原样转交)"}}},
}

_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
ERROR_RESPONSES = {
    "400": "请求无效", "401": "未登录或令牌无效", "403": "无权执行此操作", "404": "不存在或无权查看",
    "409": "状态冲突或非法流转;审核决定所依据的版本(expected_version)已过时;幂等键已用于另一请求",
    "413": "文件过大", "415": "文件类型不被接受", "422": "字段校验失败",
    "429": "请求过于频繁(登录失败过多、异议限流;见 Retry-After)", "503": "后台服务暂时不可用",
}


# Every state-changing route takes the client's key (gateway/request_keys.py, shared/idempotency.py).
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "description": "幂等键:同一操作的重试(例如 504 之后)带同一个键,只记录一次并返回第一次的结果;"
                   "同一个键用于不同的请求会被拒绝(409)。不带时网关为本次请求生成一个。",
    "schema": {"type": "string", "minLength": IDEMPOTENCY_MIN, "maxLength": IDEMPOTENCY_MAX,
               "pattern": "^[ -~]+$"},
}


def schema_name(schema):
    """Component names: the class name without "Schema"; review's carry a prefix (its DecisionSchema
    is not the dossier's)."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return f"Review{name}" if cls.__module__ == review_schemas.__name__ else name


def routes(service_cls):
    """``(method, url, function)`` for every @http entrypoint of *service_cls*."""
    found = []
    for name in dir(service_cls):
        function = getattr(service_cls, name)
        for entrypoint in getattr(function, "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url") and hasattr(entrypoint, "method"):
                found.append((entrypoint.method, entrypoint.url, function))
    return sorted(found, key=lambda item: (item[1], item[0]))


def acts_in_a_role(function):
    """Whether the route picks the caller's role (``?role=``) through ``acting``."""
    return "self.acting(" in inspect.getsource(function)


def openapi_document(service_cls):
    spec = APISpec(title="昆明市职称申报评审系统 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)])
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}}})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = {}
    for method, url, function in routes(service_cls):
        operation = {
            "summary": (function.__doc__ or function.__name__).strip().splitlines()[0],
            "operationId": function.__name__,
            "tags": [function.__module__.rsplit(".", 1)[-1]],  # the gateway/api module of the route
            "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                           for name in _PARAMETER.findall(url)]
                          + [query.openapi() for query in query_parameters(method, url, acts_in_a_role(function))]
                          + ([IDEMPOTENCY_PARAMETER] if method in STATE_CHANGING_METHODS else []),
            "responses": {"200": {"description": "成功"},
                          **{code: {"description": text, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Error"}}}} for code, text in ERROR_RESPONSES.items()}},
        }
        body = REQUEST_BODIES.get((method, url))
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        elif (method, url) in OTHER_BODIES:
            operation["requestBody"] = {"required": True, "content": OTHER_BODIES[(method, url)]}
        paths.setdefault(_PARAMETER.sub(r"{\1}", url), {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
