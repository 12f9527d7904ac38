"""The access log's published contract: what a record of one read says, the kinds of read, and the
least time a record is kept.

The gateway records every read of a dossier, its materials, exports and the audit workspace (who,
in which roles and organisations, when, what, from which address, under which correlation id) and
hands the records to the access-log service in batches (``record``); auditors read them back by
dossier or by account (``search``). A record is written once and never changed.
"""
from shared.schemas import Dict, Int, List, Nested, StrictSchema, Str, count, in_range, length, not_blank, one_of
from shared.schemas import DateTime as AwareDateTime

# Level-3 protection (等级保护三级) asks that access records be kept at least six months.
MINIMUM_RETENTION_DAYS = 180
BATCH_LIMIT = 500  # records in one ``record`` call

# What was read, in the words an auditor reads.
KINDS = {
    "dossier": "查看申报材料",
    "material": "查看/下载证明材料",
    "history": "查看事件历史",
    "certificate": "下载证书",
    "receipt": "查看缴费信息/凭证",
    "review": "审核查阅",
    "room": "评审室查阅",
    "export": "导出",
    "audit": "审计工作台",
    "access_log": "查阅访问记录",
}


class AccessRoleSchema(StrictSchema):
    role = Str(required=True, validate=[not_blank, length(maximum=32)])
    org_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))


class AccessRecordSchema(StrictSchema):
    """One read, as the gateway saw it. ``id`` is the gateway's (a UUID): a batch sent twice stores once."""

    id = Str(required=True, validate=[not_blank, length(maximum=36)])
    at = AwareDateTime(required=True)
    account_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))  # None: not signed in
    name = Str(load_default="", validate=length(maximum=64))
    roles = List(Nested(AccessRoleSchema), load_default=list, validate=count(0, 20))
    kind = Str(required=True, validate=one_of(KINDS))
    dossier_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    target = Str(load_default="", validate=length(maximum=300))  # a material, a version, a meeting …
    method = Str(required=True, validate=one_of(("GET", "HEAD", "POST")))
    path = Str(required=True, validate=[not_blank, length(maximum=1000)])
    status = Int(required=True, validate=in_range(100, 599))
    address = Str(load_default="", validate=length(maximum=64))
    correlation_id = Str(allow_none=True, load_default=None, validate=length(maximum=128))
    user_agent = Str(load_default="", validate=length(maximum=300))
    instance = Str(load_default="", validate=length(maximum=128))


class AccessBatchSchema(StrictSchema):
    """A batch as sent: its records are checked one by one (AccessRecordSchema), so one the contract
    refuses is set aside alone."""

    records = List(Dict(), required=True, validate=count(1, BATCH_LIMIT))


class AccessQuerySchema(StrictSchema):
    """An auditor's search: by dossier, by account, or everything (newest first), optionally by kind,
    reader name and Beijing date range."""

    dossier_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    account_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    name = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    kind = Str(allow_none=True, load_default=None, validate=one_of(KINDS))
    since = AwareDateTime(allow_none=True, load_default=None)
    until = AwareDateTime(allow_none=True, load_default=None)
    page = Int(load_default=1, validate=in_range(1, 100000))
    per_page = Int(load_default=50, validate=in_range(1, 200))
