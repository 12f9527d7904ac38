"""The OpenAPI document, generated from the gateway's routes and the marshmallow schemas they accept."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.dossier import notice_schemas
from services.dossier import schemas as dossier_schemas
from services.identity import schemas as identity_schemas

# (method, route) -> the schema of its JSON body; the services validate with the same schemas.
REQUEST_BODIES = {
    ("POST", "/api/v1/auth/register"): identity_schemas.RegisterSchema,
    ("POST", "/api/v1/auth/login"): identity_schemas.LoginSchema,
    ("POST", "/api/v1/auth/refresh"): identity_schemas.RefreshTokenSchema,
    ("POST", "/api/v1/orgs/units"): identity_schemas.RegisterUnitSchema,
    ("POST", "/api/v1/memberships"): identity_schemas.MembershipRequestSchema,
    ("POST", "/api/v1/dossiers"): dossier_schemas.CreateDossierSchema,
    ("POST", "/api/v1/dossiers/<dossier_id>/decisions"): dossier_schemas.DecisionSchema,
    ("POST", "/api/v1/dossiers/<dossier_id>/achievements"): dossier_schemas.AchievementSchema,
    ("POST", "/api/v1/notices"): notice_schemas.NoticeSchema,
}
_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
ERROR_RESPONSES = {
    "400": "请求无效", "401": "未登录或令牌无效", "403": "无权执行此操作", "404": "不存在或无权查看",
    "409": "状态冲突或非法流转", "413": "文件过大", "415": "文件类型不被接受", "422": "字段校验失败",
}


def routes(service_cls):
    """``(method, url, function)`` for every @http entrypoint of *service_cls*."""
    found = []
    for name in dir(service_cls):
        function = getattr(service_cls, name)
        for entrypoint in getattr(function, "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url") and hasattr(entrypoint, "method"):
                found.append((entrypoint.method, entrypoint.url, function))
    return sorted(found, key=lambda item: (item[1], item[0]))


def openapi_document(service_cls):
    spec = APISpec(title="昆明市职称申报评审系统 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}}})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = {}
    for method, url, function in routes(service_cls):
        operation = {
            "summary": (function.__doc__ or function.__name__).strip().splitlines()[0],
            "operationId": function.__name__,
            "tags": [function.__module__.rsplit(".", 1)[-1].replace("routes_", "")],
            "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                           for name in _PARAMETER.findall(url)],
            "responses": {"200": {"description": "成功"},
                          **{code: {"description": text, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Error"}}}} for code, text in ERROR_RESPONSES.items()}},
        }
        body = REQUEST_BODIES.get((method, url))
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        paths.setdefault(_PARAMETER.sub(r"{\1}", url), {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
