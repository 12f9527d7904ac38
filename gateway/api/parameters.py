"""Every query parameter the JSON API reads, by route, for the OpenAPI document (gateway/api/openapi.py).

The routes read their parameters from ``request.args``; this table says which, with their types and
meaning, so a client (or a fuzzer) knows the whole surface. tests/unit/gateway/test_gateway_openapi.py
checks it against the routes' own code: a route that reads a parameter not listed here fails it.
"""
from dataclasses import dataclass

from shared.contracts import identity
from shared.contracts.accesslog import KINDS
from shared.contracts.notification import DELIVERY_STATES


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    type: str = "string"  # string | integer | boolean
    many: bool = False  # may repeat: ?status=a&status=b
    enum: tuple = ()
    format: str = ""  # date | date-time
    required: bool = False

    def openapi(self):
        schema = {"type": self.type}
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.format:
            schema["format"] = self.format
        if self.many:
            schema = {"type": "array", "items": schema}
        parameter = {"name": self.name, "in": "query", "required": self.required, "description": self.description,
                     "schema": schema}
        if self.many:
            parameter.update(style="form", explode=True)
        return parameter


ROLE = Query("role", "以哪个身份办理(同时持有多个角色时),如 unit_admin、city_admin")
PAGING = (Query("page", "页码,从 1 开始", "integer"), Query("per_page", "每页条数", "integer"))
DOSSIER_FILTERS = (
    Query("status", "申报状态代码,可重复", many=True),
    Query("review_year", "评审年度", "integer"),
    Query("series", "系列代码,如 engineering"),
    Query("level", "级别代码,如 intermediate"),
    Query("unit_id", "用人单位编号"),
    Query("district_id", "主管部门/区县编号"),
    Query("q", "按姓名、专业等检索"),
    *PAGING,
)
QUEUE_FILTERS = (
    *DOSSIER_FILTERS,
    Query("awaiting", "只列轮到本级办理的", "boolean"),
    Query("include_ids", "同时返回全部匹配的申报材料编号(批量选择用)", "boolean"),
    ROLE,
)

QUERY_PARAMETERS = {
    ("GET", "/api/v1/dossiers"): (*DOSSIER_FILTERS, ROLE),
    ("GET", "/api/v1/dossiers/<dossier_id>/state"): (
        Query("version", "版本号:该版本时的申报材料", "integer"),
        Query("at", "ISO-8601 时刻(无时区按北京时间):该时刻时的申报材料", format="date-time"),
    ),
    ("GET", "/api/v1/orgs"): (
        Query("type", "机构类型:city、district、department、unit、committee"),
        Query("kind", "同 type"),
        Query("q", "按名称或统一社会信用代码检索"),
        Query("parent_id", "上级机构编号"),
        Query("status", "单位注册状态:pending、approved、rejected"),
    ),
    ("GET", "/api/v1/orgs/<unit_id>/members"): (
        Query("status", "入职状态", enum=(identity.PENDING, identity.CONFIRMED, identity.REJECTED)),
    ),
    ("GET", "/api/v1/role-requests"): (
        Query("status", "审批状态", enum=(*identity.ROLE_REQUEST_STATUSES, "all")),
        Query("limit", "最多条数(1–500)", "integer"),
    ),
    ("GET", "/api/v1/certificates/verify"): (
        Query("number", "证书编号", required=True), Query("code", "验证码", required=True),
    ),
    ("GET", "/api/v1/meeting-records/<number>/verify"): (
        Query("sha256", "会议纪要 PDF 文件的 SHA-256(64 位十六进制)", required=True),
    ),
    ("GET", "/api/v1/payments/ledger"): (
        Query("order_id", "订单号"), Query("dossier_id", "申报材料编号"),
        Query("date", "北京时间日期 YYYY-MM-DD", format="date"),
    ),
    ("GET", "/api/v1/payments/reconciliation"): (
        Query("date", "对账日(北京时间)YYYY-MM-DD", format="date", required=True),
        Query("provider", "支付渠道,默认当前渠道"),
        Query("format", "csv(默认)或 json", enum=("csv", "json")),
    ),
    ("GET", "/api/v1/review/queue"): QUEUE_FILTERS,
    ("GET", "/api/v1/review/queue/counts"): QUEUE_FILTERS,
    ("GET", "/api/v1/review/queue/export"): (*QUEUE_FILTERS, Query("format", "文件格式", enum=("xlsx", "csv"))),
    ("GET", "/api/v1/review/progress"): (Query("review_year", "评审年度", "integer"), ROLE),
    ("GET", "/api/v1/review/batches"): (*PAGING, ROLE),
    ("GET", "/api/v1/meetings"): (Query("committee_id", "评委会编号"), Query("state", "会议状态"), ROLE),
    ("GET", "/api/v1/objections"): (Query("state", "异议状态", enum=("open", "dismissed", "upheld")),
                                    Query("publicity_id", "公示编号"), ROLE),
    ("GET", "/api/v1/audit/access"): (
        Query("dossier_id", "申报材料编号:只看对这件申报材料的访问"), Query("account_id", "账号编号:只看此人的访问"),
        Query("name", "访问人姓名的全部或一部分"), Query("kind", "访问类型", enum=tuple(KINDS)),
        Query("since", "北京时间日期(起)YYYY-MM-DD", format="date"),
        Query("until", "北京时间日期(止)YYYY-MM-DD", format="date"), *PAGING,
    ),
    ("GET", "/api/v1/messages"): (*PAGING, Query("unread_only", "只列未读消息", "boolean")),
    ("GET", "/api/v1/me/notification-preferences"): (
        Query("role", "同时持有多个接收消息的角色时,查看哪个角色的设置,如 applicant、unit_admin"),),
    ("PUT", "/api/v1/me/notification-preferences"): (
        Query("role", "同时持有多个接收消息的角色时,设置哪个角色的,如 applicant、unit_admin"),),
    ("GET", "/api/v1/notifications/deliveries"): (
        Query("status", "发送状态", enum=tuple(DELIVERY_STATES)), *PAGING),
    ("GET", "/api/v1/calendar/working-days"): (
        Query("start", "起始日期 YYYY-MM-DD", format="date", required=True),
        Query("working_days", "工作日数:求窗口结束日", "integer"),
        Query("end", "结束日期:求其间工作日数", format="date"),
    ),
}


def query_parameters(method, url, reads_role):
    """The documented query parameters of a route; every route that acts in a role also takes ``role``."""
    declared = QUERY_PARAMETERS.get((method, url), ())
    if reads_role and not any(parameter.name == "role" for parameter in declared):
        declared = (*declared, ROLE)
    return declared
