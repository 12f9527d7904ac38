"""The lists offices print for a review year: the unit's 公示名单 (who is publicised, for which series and
level, the publicity period, the 监督电话) and the 报送汇总表/推荐花名册 (the dossiers a unit or a district
forwarded, with the counts the receiving office checks).

Which dossiers the caller may list is the review service's work queue (its scope: a unit admin their
unit, a district admin their district, the city everything); the rows come from the dossiers themselves
(the period of the unit publicity, the basic information, the batch), asked concurrently. Nothing
here changes anything.
"""
from collections import Counter
from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from shared.clock import beijing_date, beijing_today
from shared.contracts import dossier as st
from shared.errors import NotFound, PermissionDenied, ValidationFailed
from shared.roles import AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN
from shared.titles import EDUCATION_LEVELS, LEVEL_ORDER, LEVELS, SERIES

from . import printing_layout as pl
from .printing_review_form import identity_fields

# Who prints the lists: the reviewers of the three levels and the auditor (as they read the queue).
PRINT_ROLES = (UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, AUDITOR)
# More rows than this are refused with a message, never cut short silently.
MAX_ROWS = 500
# Dossiers no longer in the review (withdrawn, given up) are left off a list that is sent or publicised.
LEFT_OFF = (st.WITHDRAWN, st.ABANDONED)
NOT_A_PRINTER = "只有单位、主管部门和市人社局的审核人员可以打印公示名单和报送汇总表"


def print_actor(principal, wanted=None):
    """The Actor the lists are printed as: *wanted* when held, else the first of PRINT_ROLES held."""
    held = [role for role in PRINT_ROLES if principal.has(role)]
    if not held:
        raise PermissionDenied(NOT_A_PRINTER)
    return principal.actor(wanted if wanted in held else held[0])


def list_query(args, today=None):
    """``{review_year, batch_id?, unit_id?}`` from the page's query. The year defaults to this one, except
    for one 报送 batch (``?batch=``), which is listed whole (review_year None)."""
    query = {}
    for name in ("batch_id", "unit_id"):
        value = args.get(name) or args.get(name.removesuffix("_id"))
        if value:
            query[name] = str(value)[:64]
    year = args.get("year") or args.get("review_year")
    if year is None:
        query["review_year"] = None if query.get("batch_id") else (today or beijing_today()).year
    elif not str(year).isdigit() or not 2000 <= int(year) <= 2100:
        raise ValidationFailed("评审年度有误", fields={"year": ["请填写 2000 至 2100 之间的年份"]})
    else:
        query["review_year"] = int(year)
    return query


def years_of(query, dossiers):
    """The review year the printed list is of: the one asked for, or those of the batch's dossiers."""
    if query.get("review_year"):
        return str(query["review_year"])
    return "、".join(sorted({str(d["review_year"]) for d in dossiers})) or str(beijing_today().year)


def scoped_dossiers(review, dossiers, principal, actor, query):
    """The dossiers of *query* in *actor*'s queue scope (and, with ``batch_id``, in that batch), each as
    ``dossier.get`` answers it."""
    asked = {"include_ids": True, "per_page": 1}
    asked.update({name: query[name] for name in ("review_year", "unit_id") if query.get(name)})
    ids = review.queue(actor.to_dict(), asked)["ids"]
    if query.get("batch_id"):
        batch = review.get_batch(actor.to_dict(), query["batch_id"])  # refused when not the caller's
        in_batch = {entry["dossier_id"] for entry in batch["dossiers"]}
        ids = [dossier_id for dossier_id in ids if dossier_id in in_batch]
    if len(ids) > MAX_ROWS:
        raise ValidationFailed(f"符合条件的申报材料有 {len(ids)} 份,超过一次打印的上限 {MAX_ROWS} 份:请按单位或报送批次分别打印")
    pending = [dossiers.get.call_async(dossier_id) for dossier_id in ids]
    found = [reply.result() for reply in pending]
    # The queue already kept to the scope; the gateway's own rule is asked again, as for any read.
    return [dossier for dossier in found if principal.can_view_dossier(dossier) and dossier["status"] not in LEFT_OFF]


def unit_phones(identity, unit_ids):
    """``{unit_id: "contact phone (name)"}`` of the units (their 监督电话: whom a person calls)."""
    pending = {unit_id: identity.get_org.call_async(unit_id) for unit_id in unit_ids}
    phones = {}
    for unit_id, reply in pending.items():
        try:
            org = reply.result()
        except Exception:  # the list still prints; the phone is then written in by hand
            org = {}
        phone, name = org.get("contact_phone"), org.get("contact_name")
        phones[unit_id] = f"{phone}({name})" if phone and name else phone or ""
    return phones


def _beijing_day(stamp):
    """The Beijing date of a stored instant (ISO text; a bare date is already one)."""
    moment = datetime.fromisoformat(str(stamp))
    return (beijing_date(moment) if moment.tzinfo else moment.date()).isoformat()


def _label(table, code):
    return table.get(code, code or "")


def _ordered(dossiers):
    return sorted(dossiers, key=lambda d: (d.get("unit_name") or "", _level_rank(d["level"]), d.get("series") or "",
                                           d.get("applicant_name") or ""))


def _level_rank(level):
    return -LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 0


# -- 公示名单 --------------------------------------------------------------------------------------

def publicity_rows(dossiers, phones):
    """``[{name, unit, series, level, specialty, start, end, phone}]`` of the dossiers in unit publicity."""
    rows = []
    for dossier in _ordered(d for d in dossiers if d.get("unit_publicity")):
        period = dossier["unit_publicity"]
        rows.append({"name": dossier["applicant_name"], "unit": dossier["unit_name"],
                     "series": _label(SERIES, dossier["series"]) + "系列", "level": _label(LEVELS, dossier["level"]),
                     "specialty": dossier.get("specialty") or "", "start": period["start"], "end": period["end"],
                     "phone": phones.get(dossier["unit_id"], "")})
    return rows


def render_publicity_list(review_year, rows, *, printed_on=None, font_path=None):
    """The PDF of a 公示名单: *rows* as :func:`publicity_rows` gives them (one unit or several)."""
    if not rows:
        raise NotFound(f"{review_year} 年度没有已登记单位内部公示的申报材料,无公示名单可打印")
    font = pl.font(font_path)
    s = pl.styles(font)
    units = sorted({row["unit"] for row in rows})
    one_unit = len(units) == 1
    periods = sorted({(row["start"], row["end"]) for row in rows})
    title = f"{review_year} 年度专业技术职务任职资格申报人员公示名单"
    intro = (f"根据昆明市 {review_year} 年度职称评审工作安排,经{'本单位' if one_unit else '各单位'}审核,"
             f"现将申报专业技术职务任职资格人员名单予以公示(共 {len(rows)} 人)。公示期间,对公示人员的申报资格、"
             "申报材料的真实性等有异议的,请以书面或电话方式向监督电话反映;反映情况须实事求是,并提供联系方式。")
    header = ["序号", "姓名", "单位", "申报系列", "申报级别", "申报专业", "公示期", "监督电话"]
    data = [[pl.cell(text, s["head"]) for text in header]]
    for number, row in enumerate(rows, start=1):
        data.append([pl.cell(number, s["center"]), pl.cell(row["name"], s["cell"]), pl.cell(row["unit"], s["cell"]),
                     pl.cell(row["series"], s["cell"]), pl.cell(row["level"], s["cell"]),
                     pl.cell(row["specialty"], s["cell"]), pl.cell(f"{row['start']} 至 {row['end']}", s["cell"]),
                     pl.cell(row["phone"] or "", s["cell"])])
    widths = [w * mm for w in (11, 18, 32, 18, 18, 24, 32, 25)]
    table = pl.ruled(data, widths, font, [("BACKGROUND", (0, 0), (-1, 0), pl.FILL)], repeat=1)
    period_text = ";".join(f"{start} 至 {end}" for start, end in periods)
    phones = sorted({row["phone"] for row in rows if row["phone"]})
    story = [Paragraph(pl.text(title), s["title"]),
             Paragraph(pl.text(units[0] if one_unit else f"{len(units)} 个单位"), s["subtitle"]),
             Paragraph(pl.text(intro), s["body"]), Spacer(1, 3 * mm), table, Spacer(1, 3 * mm),
             Paragraph(pl.text(f"公示期:{period_text}"), s["body"]),
             Paragraph(pl.text("监督电话:" + ("、".join(phones) if phones else "________________")), s["body"]),
             Spacer(1, 10 * mm),
             KeepTogether([Paragraph(pl.text(f"公示单位(盖章):{units[0] if one_unit else ''}"), s["body"]),
                           Spacer(1, 4 * mm),
                           Paragraph(pl.text(f"日期:{(printed_on or beijing_today()).strftime('%Y年%m月%d日')}"),
                                     s["body"])])]
    return pl.build(story, title=title, footer=f"{title} · 共 {len(rows)} 人", font_path=font_path)


# -- 报送汇总表 / 推荐花名册 --------------------------------------------------------------------------

def forwarded(dossiers, role, batch_id=None):
    """The dossiers *role*'s level sent upward: those of the 报送 batch *batch_id* when one is asked for;
    else a unit's are those it sent in any batch, a district's and the city's those the district
    approved and forwarded to the city."""
    if batch_id:
        return [d for d in dossiers if d.get("batch_id") == batch_id]
    if role == UNIT_ADMIN:
        return [d for d in dossiers if d.get("batch_id")]
    return [d for d in dossiers if any(item.get("level") == st.DISTRICT for item in d.get("opinions") or [])]


def _highest_education(entries):
    if not entries:
        return ""
    marked = [entry for entry in entries if entry.get("highest")]
    entry = marked[0] if marked else max(entries, key=lambda e: str(e.get("end") or ""))
    return _label(EDUCATION_LEVELS, entry.get("education_level")) + (f"/{entry['degree']}" if entry.get("degree") else "")


def _current_title(info):
    if info.get("current_title"):
        return info["current_title"]
    if info.get("current_title_level"):
        return _label(SERIES, info.get("current_title_series")) + _label(LEVELS, info["current_title_level"])
    return "无"


def roster_rows(dossiers):
    """``[{name, gender, born, education, current_title, series, level, specialty, unit}]``."""
    rows = []
    for dossier in _ordered(dossiers):
        sections = dossier.get("sections") or {}
        info = sections.get("basic_info") or {}
        gender, birth_date = identity_fields(dossier)
        rows.append({"name": dossier["applicant_name"], "gender": gender, "born": birth_date[:7].replace("-", "."),
                     "education": _highest_education(sections.get("education") or []),
                     "current_title": _current_title(info), "series": _label(SERIES, dossier["series"]),
                     "level": _label(LEVELS, dossier["level"]), "level_code": dossier["level"],
                     "specialty": dossier.get("specialty") or "", "unit": dossier["unit_name"]})
    return rows


def roster_counts(rows):
    """The summary the receiving office checks: ``{total, by_level: [(label, n)], by_series, by_gender}``."""
    levels = Counter(row["level_code"] for row in rows)
    return {"total": len(rows),
            "by_level": [(LEVELS[code], levels[code]) for code in reversed(LEVEL_ORDER) if levels[code]],
            "by_series": sorted(Counter(row["series"] for row in rows).items()),
            "by_gender": sorted(Counter(row["gender"] or "未填" for row in rows).items())}


def render_roster(review_year, rows, *, sender, batch=None, printed_on=None, font_path=None):
    """The PDF of a 报送汇总表/推荐花名册 sent by *sender* (a unit's or district's name); *batch* the
    报送批次 ``{id, submitted_at}`` when the roster is of one batch."""
    if not rows:
        raise NotFound(f"{review_year} 年度还没有已报送的申报材料,无报送汇总表可打印")
    font = pl.font(font_path)
    s = pl.styles(font)
    pagesize = landscape(A4)
    title = f"{review_year} 年度专业技术职务任职资格评审推荐花名册(报送汇总表)"
    counts = roster_counts(rows)
    header = ["序号", "姓名", "性别", "出生年月", "学历/学位", "现职称", "申报系列", "申报级别", "申报专业", "工作单位"]
    data = [[pl.cell(text, s["head"]) for text in header]]
    for number, row in enumerate(rows, start=1):
        data.append([pl.cell(number, s["center"])] + [pl.cell(row[key], s["cell"]) for key in (
            "name", "gender", "born", "education", "current_title", "series", "level", "specialty", "unit")])
    widths = [w * mm for w in (12, 22, 12, 20, 30, 34, 20, 20, 35, 60)]
    table = pl.ruled(data, widths, font, [("BACKGROUND", (0, 0), (-1, 0), pl.FILL)], repeat=1)
    line = "、".join
    summary = [f"合计 {counts['total']} 人",
               "按级别:" + line(f"{label} {n} 人" for label, n in counts["by_level"]),
               "按系列:" + line(f"{label} {n} 人" for label, n in counts["by_series"]),
               "按性别:" + line(f"{label} {n} 人" for label, n in counts["by_gender"])]
    sent = f"报送单位:{sender}"
    if batch:
        sent += f" · 报送批次 {batch['id']}" + (f"(报送日期 {_beijing_day(batch['submitted_at'])})"
                                              if batch.get("submitted_at") else "")
    day = (printed_on or beijing_today()).strftime("%Y年%m月%d日")
    signatures = pl.ruled([[pl.cell("填表人", s["label"]), "", pl.cell("联系电话", s["label"]), "",
                            pl.cell("单位负责人", s["label"]), "", pl.cell("单位盖章", s["label"]), ""]],
                          [w * mm for w in (22, 40, 22, 40, 24, 40, 22, 55)], font, heights=[18 * mm])
    story = [Paragraph(pl.text(title), s["title"]), Paragraph(pl.text(sent), s["subtitle"]), table, Spacer(1, 3 * mm),
             KeepTogether([Paragraph(pl.text(";".join(summary) + "。"), s["body"]), Spacer(1, 4 * mm), signatures,
                           Spacer(1, 2 * mm), Paragraph(pl.text(f"打印日期:{day}"), s["small"])])]
    return pl.build(story, title=title, footer=f"{title} · {sender} · 合计 {counts['total']} 人", pagesize=pagesize,
                    font_path=font_path)
