"""Load the demo once: find what is there, act out the story for the rest, say what each dossier shows.

An applicant who already has a dossier of the review year is left alone (whatever its step), so a
second run changes nothing: it finds every dossier, adds no event and no row, and only puts back
the demo's PDFs if the in-memory development object store lost them.
"""
from services.dossier.application import Dossiers
from shared.contracts.dossier import ACCEPTED, SECTIONS, STATUS_LABELS
from shared.clock import TravelClock

from .cast import CAST, REVIEW_YEAR
from .files import Evidence, restore_certificate
from .stage import Stage
from .story import Story


def load_demo(configs, out=print):
    """*configs*: each service's config by name, plus ``evidence_s3`` (the gateway's S3 section).
    Returns ``{phone: dossier id}`` of every demo applicant."""
    existing = existing_dossiers(configs["dossier"]["DATABASE_URL"])
    evidence = Evidence(configs["evidence_s3"])
    acting = [applicant for applicant in CAST if applicant.phone not in existing]
    if not acting:
        restored = restore_files(configs, evidence, existing)
        out(f"demo: 演示数据已载入({len(existing)} 件申报材料),未作改动"
            + (f";补回对象存储中缺失的 {restored} 个 PDF 文件" if restored else ""))
        return {phone: summary["dossier_id"] for phone, summary in existing.items()}
    for applicant in CAST:
        if applicant.phone in existing:
            out(f"demo: {applicant.name} 已有 {REVIEW_YEAR} 年度申报材料({existing[applicant.phone]['status_label']}),跳过")
    clock = TravelClock()
    with Stage(configs, clock) as stage:
        dossier_ids = Story(stage, clock, acting, evidence).play()
        for applicant in acting:
            out(describe(stage.rpc, applicant, dossier_ids[applicant.phone]))
    return {**{phone: summary["dossier_id"] for phone, summary in existing.items()}, **dossier_ids}


def existing_dossiers(database_url):
    """``{phone: summary row}`` of the demo applicants who have a dossier of the review year."""
    dossiers = Dossiers(database_url)
    try:
        found = {}
        for applicant in CAST:
            rows = dossiers.list(filters={"applicant_id": applicant.account_id, "review_year": REVIEW_YEAR})["items"]
            if rows:
                found[applicant.phone] = dict(rows[0], status_label=STATUS_LABELS[rows[0]["status"]])
        return found
    finally:
        dossiers.close()


def restore_files(configs, evidence, existing):
    dossiers = Dossiers(configs["dossier"]["DATABASE_URL"])
    try:
        restored = 0
        for applicant in CAST:
            dossier = dossiers.get(existing[applicant.phone]["dossier_id"])
            restored += evidence.restore(applicant, dossier)
            if dossier["certificate_number"]:
                restored += restore_certificate(configs["certificate"], dossier["id"])
        return restored
    finally:
        dossiers.close()


def describe(rpc, applicant, dossier_id):
    """One line per dossier: who, which unit, the step it stands at, and what comes next there."""
    dossier = rpc.dossier.get(dossier_id)
    line = f"demo: {applicant.name}({applicant.unit},手机 {applicant.phone})— {dossier['status_label']}"
    if dossier["return_notice"]:
        sections = "、".join(SECTIONS[name] for name in dossier["return_notice"]["sections"])
        line += f",需修改:{sections}"
    if dossier["status"] == ACCEPTED:
        due = [order for order in rpc.payment.orders_of_dossier(dossier_id) if order["status"] == "pending"]
        line += "".join(f",待缴评审费 {order['amount_fen'] / 100:.2f} 元" for order in due)
    if dossier["publicity"]:
        line += f",公示期 {dossier['publicity']['start']} 至 {dossier['publicity']['end']}"
    if dossier["certificate_number"]:
        line += f",证书编号 {dossier['certificate_number']}"
    if dossier["status"] != applicant.status:
        line += f"(本应为「{applicant.status_label}」,请查看 .run/logs/demo.log)"
    return line
