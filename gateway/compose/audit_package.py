"""An auditor's audit package (审计包) of one dossier, for the page and the JSON API alike.

The dossier service hands over its events as stored and, last, signs the package's statement with the
checkpoint key (it refuses a statement that is not its own stored, verified history); the gateway
gathers the rest — names from identity, the PDF summary — and assembles the file
(shared/audit_package.py). A dossier whose chain does not verify gets no package: the refusal says why.
"""
import logging
from datetime import datetime


from shared import audit_package
from shared.clock import BEIJING, beijing_text, utc_now
from shared.contracts import dossier as st
from shared.errors import Conflict
from shared.roles import ROLE_LABELS, SYSTEM
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

from .audit import actor_names, audit_actor
from .audit_summary_pdf import render_summary
from .dossiers import visible_audit_scope
from .downloads import attachment

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/zip"
README = """昆明市职称评审系统 · 申报材料审计包({dossier_id})

本审计包包含:
  events.json     该申报材料的全部事件记录,与事件库中存储的一致(版本、事件类型 topic、类版本、
                  存储的状态 state:其中 timestamp 为记录时间(UTC),actor 为操作人,prev_hash 与 hash
                  为哈希链),足以离线重新计算每一版事件的哈希;
  materials.json  曾上传的全部材料:编号、文件名、类别、大小、页数、SHA-256、挂载与撤下的版本;
  summary.pdf     中文摘要(北京时间);
  manifest.json   以上各文件的 SHA-256 与大小。
签名声明位于 ZIP 文件尾注释(任何 ZIP 工具都能打开本文件):申报材料编号、事件数、链头哈希、清单摘要、
导出人与导出时间,以及整个文件(注释之前的全部字节)的 SHA-256,由平台的检查点签名密钥(Ed25519)签名。

离线校验(无需联网):
  1. 取得平台公布的公钥:GET /api/v1/audit/public-keys,取注释中 key_id 对应的 PEM,存为 公钥.pem;
  2. python -m shared.audit_package verify 本文件.zip --public-key 公钥.pem
通过时显示“审计包校验通过”;任何一个字节被改动,都会显示“审计包校验失败”及原因。
"""


def _events_in_words(history, people, organisations):
    """``[{version, at, actor, what}]`` of the (upcast) history, for the summary."""
    attached, rows = {}, []
    for event in history:
        data, actor, kind = event.get("data") or {}, event.get("actor") or {}, event.get("type")
        what = st.EVENT_LABELS.get(kind, kind)
        if kind == "material_attached":
            attached[data.get("material_id")] = data
        if kind in ("material_attached", "material_detached"):
            material = {**attached.get(data.get("material_id"), {}), **{k: v for k, v in data.items() if v}}
            what += f":{material.get('filename') or material.get('material_id') or ''}"
        reason = data.get("opinion") or data.get("reason") or data.get("summary")
        if reason:
            what += f"(意见/理由:{reason})"
        account = actor.get("account_id") or ""
        who = "系统" if actor.get("role") == SYSTEM else people.get(account) or f"账号 {account[:8]}"
        role = ROLE_LABELS.get(actor.get("role"), actor.get("role") or "")
        organisation = organisations.get(actor.get("org_id")) or ""
        rows.append({"version": event.get("version"), "at": beijing_text(_moment(event.get("at")), "%Y-%m-%d %H:%M:%S"),
                     "actor": " · ".join(part for part in (who, role, organisation) if part), "what": what})
    return rows


def _moment(text):
    return datetime.fromisoformat(text)


def _materials_in_words(materials):
    return [{"filename": item["filename"], "category": MATERIAL_CATEGORIES.get(item["category"], item["category"]),
             "size": item["size"], "sha256": item["sha256"],
             "versions": f"第 {item['attached_version']} 版 / " + (f"第 {item['detached_version']} 版"
                                                                  if item["detached_version"] else "仍在")}
            for item in materials]


def _check_words(verified):
    if verified.get("ok"):
        checkpoint = verified.get("checkpoint") or {}
        signed = f";与第 {checkpoint['sequence']} 号签名检查点一致" if checkpoint.get("ok") and checkpoint.get("sequence") else ""
        return f"通过:共 {verified['events']} 版事件,哈希链完整{signed}"
    return f"未通过:第 {verified.get('first_bad_version')} 版起不符({verified.get('reason') or ''})"


def build(dossiers, identity, actor, name, dossier_id, font_path=None, clock=utc_now, attempts=2):
    """``(filename, bytes)`` of the signed audit package of *dossier_id*, exported by *actor* (an auditor or
    the city office who may see the dossier: the caller checked) called *name*. One more attempt when the
    dossier moved while the package was made (the service then refuses the older statement)."""
    for attempt in range(attempts):
        verified = dossiers.verify(dossier_id)
        if not verified.get("ok"):
            raise Conflict(f"该申报材料的历史校验未通过,不能导出审计包:{_check_words(verified)}")
        records = dossiers.audit_records.call_async(actor.to_dict(), dossier_id)
        history = dossiers.history.call_async(dossier_id)
        dossier = dossiers.get(dossier_id)
        records, history = records.result(), history.result()
        now = clock()
        draft = audit_package.draft_package(
            dossier_id=dossier["id"], records=records, summary_pdf=_summary(identity, dossier, history, records,
                                                                            verified, name, actor, now, font_path),
            readme=README.format(dossier_id=dossier["id"]), exported_at=now.isoformat(),
            exported_by={"account_id": actor.account_id, "role": actor.role, "name": name},
            date_time=now.astimezone(BEIJING).timetuple()[:6])
        try:
            signed = dossiers.sign_audit_package(actor.to_dict(), dossier["id"], draft.statement)
        except Conflict as refused:
            if attempt + 1 < attempts and len(history) != len(dossiers.history(dossier_id)):
                log.info("audit package of %s: the dossier moved while it was made; again", dossier_id)
                continue
            raise refused
        stamp = beijing_text(now, "%Y%m%d-%H%M%S")
        return f"audit-package-{dossier['id']}-{stamp}.zip", audit_package.seal(draft, signed["key_id"], signed["signature"])
    raise Conflict("申报材料在导出期间持续变动,请稍后再导出审计包")


def _summary(identity, dossier, history, records, verified, name, actor, now, font_path):
    people, organisations = actor_names(identity, history)
    content = {
        "dossier": {"id": dossier["id"], "applicant_name": dossier.get("applicant_name"),
                    "unit_name": dossier.get("unit_name"), "review_year": dossier.get("review_year"),
                    "series": SERIES.get(dossier.get("series"), dossier.get("series")),
                    "level": LEVELS.get(dossier.get("level"), dossier.get("level")),
                    "status": st.STATUS_LABELS.get(dossier.get("status"), dossier.get("status"))},
        "chain": {"events": len(records), "head_hash": records[-1]["state"]["hash"], "check": _check_words(verified)},
        "events": _events_in_words(history, people, organisations),
        "materials": _materials_in_words(audit_package.materials_from_events(records)),
        "exported": {"at": beijing_text(now, "%Y-%m-%d %H:%M:%S"),
                     "by": f"{name}({ROLE_LABELS.get(actor.role, actor.role)})"},
    }
    return render_summary(content, font_path)


def exported(dossiers, identity, principal, dossier_id, settings):
    """The download of *principal*'s audit package of *dossier_id*: readers of the audit workspace (403
    otherwise) who may see the dossier (404 otherwise), checked on the summary so a damaged dossier is
    refused with its reason rather than failing to load."""
    actor = audit_actor(principal)
    visible_audit_scope(dossiers, principal, dossier_id)
    font_path = (settings.get("PDF") or {}).get("CJK_FONT") or None
    filename, content = build(dossiers, identity, actor, principal.name, dossier_id, font_path=font_path)
    return attachment(content, CONTENT_TYPE, filename)
