"""《专业技术职务任职资格评审表》 of one dossier, as offices print it: the title with the review year, series
and level; 基本信息 beside a photo box; 现职称/现聘情况, 学历学位, 工作经历, 年度考核, 继续教育, 业绩成果, the
applicant's own summary, the list of 证明材料; the 承诺 with the applicant's signature box; and the four
opinion blocks (单位, 主管部门, 市人社局, 评委会), each with a signature box, a seal box and a date.

What the dossier holds is printed as recorded (an opinion already given is printed in its block, its date
beside it); what is still to come is left blank for the pen and the seal. Field labels and the words of
select choices come from the editor's forms (*fields*, passed in by the page: compose does not know
pages), so a field added to a form is printed without touching this module.
"""
import io
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from shared.clock import beijing_date, beijing_text, beijing_today
from shared.contracts import dossier as st
from shared.idnumbers import GENDER_LABELS
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

from . import printing_layout as pl

TITLE = "专业技术职务任职资格评审表"
# 基本信息 placed in the grid beside the photo (性别 and 出生日期 beside them come from the ID number; a
# dossier made before that has them here); every other basic_info field goes to 现职称/现聘情况.
PHOTO_GRID = ("gender", "birth_date", "ethnicity", "political_status", "work_start_date", "phone", "email",
              "exceptional", "retired")
PASSED = (st.PASSED, st.IN_PUBLICITY, st.APPROVED, st.CERTIFIED)
# Room for a hand-written date (a paragraph collapses ordinary and ideographic spaces alike).
BLANK_DATE = "&nbsp;" * 10 + "年" + "&nbsp;" * 6 + "月" + "&nbsp;" * 6 + "日"
# The four opinion blocks: (title, what the opinion is called, who signs, whose seal, the level recorded).
OPINION_BLOCKS = (
    ("单位意见", "推荐意见", "负责人签字", "单位盖章", st.UNIT),
    ("主管部门意见", "审核意见", "负责人签字", "主管部门盖章", st.DISTRICT),
    ("市人社局意见", "审核意见", "负责人签字", "市人社局盖章", st.CITY),
    ("评委会意见", "评审意见", "主任委员签字", "评委会盖章", None),
)


def field_specs(forms):
    """``{section: [(name, label, kind, {value: label})]}`` of the editor's forms (objects with
    ``section``, ``fields``; each field with ``name``, ``label``, ``kind``, ``options``)."""
    return {form.section: [(f.name, f.label, f.kind, dict(f.options)) for f in form.fields] for form in forms}


def worded(kind, options, value):
    """A stored value as printed: a choice by its words, a tick as 是/否, 60.0 as 60, nothing as ""."""
    if kind == "checkbox":
        return "是" if value is True or value in ("on", "true", "1") else "否"
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if kind == "select":
        return options.get(value, str(value))
    return str(value)


def identity_fields(dossier):
    """``(性别, 出生日期)`` in words: the dossier's, from the applicant's resident ID number; a dossier made
    before it carried them has what the applicant typed into basic info."""
    typed = (dossier.get("sections") or {}).get("basic_info") or {}
    gender = dossier.get("applicant_gender") or typed.get("gender")
    return GENDER_LABELS.get(gender, gender or ""), dossier.get("applicant_birth_date") or typed.get("birth_date") or ""


def _rows(specs, entries):
    """``[{name: words}]`` of a list section's entries."""
    return [{name: worded(kind, options, entry.get(name)) for name, _, kind, options in specs} for entry in entries]


def _day(iso):
    """An ISO instant recorded by the dossier as its Beijing date, in words."""
    if not iso:
        return BLANK_DATE
    return beijing_date(datetime.fromisoformat(iso)).strftime("%Y年%m月%d日")


class _Form:
    def __init__(self, dossier, fields, commitment_text, photo, printed_on, font):
        self.dossier, self.fields, self.commitment_text, self.photo = dossier, fields, commitment_text, photo
        self.sections = dossier.get("sections") or {}
        self.printed_on = printed_on or beijing_today()
        self.font, self.s, self.width = font, pl.styles(font), pl.frame_width()

    # -- pieces ------------------------------------------------------------------------------------

    def label(self, value):
        return pl.cell(value, self.s["label"])

    def value(self, value, blank=""):
        return pl.cell(value, self.s["body"], blank)

    def heading(self, number, title):
        return pl.heading(f"{number}、{pl.text(title)}", self.s["h2"])

    def grid(self, header, rows, widths, empty="无"):
        """A ruled list with a shaded header; *rows* of plain values (or flowables), or one "无" row."""
        data = [[pl.cell(text, self.s["head"]) for text in header]]
        data += [[item if not isinstance(item, (str, int, float, type(None))) else pl.cell(item, self.s["cell"])
                  for item in row] for row in rows]
        commands = [("BACKGROUND", (0, 0), (-1, 0), pl.FILL)]
        if not rows:
            data.append([pl.cell(empty, self.s["center"])] + [""] * (len(header) - 1))
            commands.append(("SPAN", (0, 1), (-1, 1)))
        return pl.ruled(data, [w * mm for w in widths], self.font, commands, repeat=1)

    def basic(self, name):
        """``(label, words)`` of a basic_info field, or None when the form has no such field."""
        spec = next((spec for spec in self.fields.get("basic_info", ()) if spec[0] == name), None)
        if spec is None:
            return None
        data = self.sections.get("basic_info") or {}
        return spec[1], worded(spec[2], spec[3], data.get(name))

    # -- the parts of the form ---------------------------------------------------------------------

    def header(self):
        d = self.dossier
        rows = [[self.label("评审年度"), self.value(f"{d['review_year']} 年度"),
                 self.label("申报系列"), self.value(f"{SERIES.get(d['series'], d['series'])}系列"),
                 self.label("申报级别"), self.value(LEVELS.get(d["level"], d["level"]))],
                [self.label("申报专业"), self.value(d.get("specialty")), self.label("工作单位"),
                 self.value(d.get("unit_name")), self.label("主管部门"), self.value(d.get("district_name"))]]
        widths = [w * mm for w in (20, 30, 20, 42, 20, 46)]
        return [Paragraph(f"申报材料编号:{pl.text(d['id'])}", self.s["small"]),
                Paragraph(TITLE, self.s["title"]),
                Paragraph(f"昆明市职称评审 · {d['review_year']} 年度", self.s["subtitle"]),
                pl.ruled(rows, widths, self.font)]

    def photo_box(self):
        if self.photo:
            return Image(io.BytesIO(self.photo), width=25 * mm, height=35 * mm, kind="proportional")
        return Paragraph("贴照片<br/><font size=7>(近期一寸免冠<br/>彩色照片)</font>", self.s["center"])

    def basic_grid(self):
        pick = {name: self.basic(name) or ("", "") for name in PHOTO_GRID}

        def pair(name):
            label, words = pick[name]
            return [self.label(label), self.value(words)]

        gender, born = identity_fields(self.dossier)
        rows = [[self.label("姓名"), self.value(self.dossier.get("applicant_name")), self.label("性别"),
                 self.value(gender), self.label("出生日期"), self.value(born), self.photo_box()],
                [*pair("ethnicity"), *pair("political_status"), *pair("work_start_date"), ""],
                [*pair("phone"), self.label(pick["email"][0]), self.value(pick["email"][1]), "", "", ""],
                [self.label("申报类型"), self.value("破格申报" if pick["exceptional"][1] == "是" else "正常申报"),
                 *pair("retired"), self.label("申报专业"), self.value(self.dossier.get("specialty")), ""]]
        widths = [w * mm for w in (20, 29, 20, 29, 24, 28, 28)]
        commands = [("SPAN", (6, 0), (6, 3)), ("SPAN", (3, 2), (5, 2)), ("ALIGN", (6, 0), (6, 0), "CENTER")]
        # Four rows of 11 mm: the photo box they span is a one-inch photo's height and more.
        table = pl.ruled(rows, widths, self.font, commands, heights=[11 * mm] * 4)
        return [*self.heading("一", st.SECTIONS["basic_info"]), table]

    def current_title(self):
        pairs = [self.basic(spec[0]) for spec in self.fields.get("basic_info", ())
                 if spec[0] not in PHOTO_GRID and spec[2] != "hidden"]
        rows = []
        for start in range(0, len(pairs), 2):
            row = []
            for label, words in pairs[start:start + 2]:
                row += [self.label(label), self.value(words, "无")]
            rows.append(row + ["", ""] * (2 - len(pairs[start:start + 2])))
        widths = [w * mm for w in (30, 59, 30, 59)]
        return [*self.heading("二", "现职称及现聘情况"), pl.ruled(rows or [[self.value("无")]], widths, self.font)]

    def education(self):
        specs = self.fields.get("education", ())
        rows = [[r.get("education_level"), r.get("school"), r.get("major"),
                 f"{r.get('start', '')} 至 {r.get('end', '')}", r.get("degree"), r.get("certificate_number"),
                 "是" if r.get("highest") == "是" else ""]
                for r in _rows(specs, self.sections.get("education") or [])]
        return [*self.heading("三", st.SECTIONS["education"]),
                self.grid(["学历", "毕业院校", "所学专业", "起止时间", "学位", "证书编号", "最高学历"], rows,
                          (16, 36, 30, 38, 16, 28, 14))]

    def work(self):
        """Each job on a row, its duties (up to 2,000 characters) on the rows below it, full width."""
        specs = self.fields.get("work_experience", ())
        header = ["起止时间", "工作单位", "岗位/职务"]
        data = [[pl.cell(text, self.s["head"]) for text in header]]
        commands = [("BACKGROUND", (0, 0), (-1, 0), pl.FILL)]
        for row in _rows(specs, self.sections.get("work_experience") or []):
            period = f"{row.get('start', '')} 至 {row['end']}" if row.get("end") else f"{row.get('start', '')} 至今"
            data.append([pl.cell(period, self.s["cell"]),
                         pl.cell(row.get("employer"), self.s["cell"]), pl.cell(row.get("position"), self.s["cell"])])
            for index, piece in enumerate(pl.chunks(row.get("duties")) if row.get("duties") else []):
                lead = "主要工作内容:" if index == 0 else ""
                data.append([Paragraph(lead + pl.text(piece, ""), self.s["cell"]), "", ""])
                at = len(data) - 1
                commands += [("SPAN", (0, at), (-1, at)), ("LINEABOVE", (0, at), (-1, at), 0, pl.FILL)]
        if len(data) == 1:
            data.append([pl.cell("无", self.s["center"]), "", ""])
            commands.append(("SPAN", (0, 1), (-1, 1)))
        return [*self.heading("四", st.SECTIONS["work_experience"]),
                pl.ruled(data, [w * mm for w in (44, 80, 54)], self.font, commands, repeat=1)]

    def assessments(self):
        specs = self.fields.get("annual_assessments", ())
        entries = sorted(_rows(specs, self.sections.get("annual_assessments") or []), key=lambda r: r.get("year", ""))
        per_row = 8  # years side by side, as the paper form has them
        flow = [*self.heading("五", st.SECTIONS["annual_assessments"])]
        if not entries:
            return flow + [self.grid(["年度", "考核结果"], [], (40, 138))]
        for start in range(0, len(entries), per_row):
            part = entries[start:start + per_row]
            width = (self.width - 20 * mm) / per_row
            data = [[self.label("年度")] + [pl.cell(f"{r.get('year')} 年", self.s["head"]) for r in part],
                    [self.label("考核结果")] + [pl.cell(r.get("result"), self.s["center"]) for r in part]]
            data = [row + [""] * (per_row + 1 - len(row)) for row in data]
            flow.append(pl.ruled(data, [20 * mm] + [width] * per_row, self.font,
                                 [("BACKGROUND", (1, 0), (len(part), 0), pl.FILL)]))
        return flow

    def continuing_education(self):
        specs = self.fields.get("continuing_education", ())
        stored = self.sections.get("continuing_education") or []
        rows = [[r.get("year"), r.get("kind"), r.get("hours"), r.get("course"), r.get("provider")]
                for r in _rows(specs, stored)]
        total = sum(float(entry.get("hours") or 0) for entry in stored)
        if rows:
            rows.append(["合计", "", worded("number", {}, total), f"共 {len(stored)} 项", ""])
        return [*self.heading("六", st.SECTIONS["continuing_education"]),
                self.grid(["年度", "科目类别", "学时", "课程名称", "培训机构"], rows, (18, 26, 16, 66, 52))]

    def achievements(self):
        specs = self.fields.get("achievements", ())
        header = ["序号", "类别", "名称", "取得/完成时间", "本人角色/排名"]
        data = [[pl.cell(text, self.s["head"]) for text in header]]
        commands = [("BACKGROUND", (0, 0), (-1, 0), pl.FILL)]
        for number, row in enumerate(_rows(specs, self.dossier.get("achievements") or []), start=1):
            data.append([pl.cell(number, self.s["center"]), pl.cell(row.get("kind"), self.s["cell"]),
                         pl.cell(row.get("title"), self.s["cell"]), pl.cell(row.get("date"), self.s["cell"]),
                         pl.cell(row.get("role"), self.s["cell"])])
            for index, piece in enumerate(pl.chunks(row.get("description")) if row.get("description") else []):
                lead = "简要说明:" if index == 0 else ""
                data.append(["", Paragraph(lead + pl.text(piece, ""), self.s["cell"]), "", "", ""])
                at = len(data) - 1
                commands += [("SPAN", (1, at), (-1, at)), ("LINEABOVE", (0, at), (-1, at), 0, pl.FILL)]
        if len(data) == 1:
            data.append([pl.cell("无", self.s["center"]), "", "", "", ""])
            commands.append(("SPAN", (0, 1), (-1, 1)))
        return [*self.heading("七", st.SECTIONS["achievements"]),
                pl.ruled(data, [w * mm for w in (12, 18, 88, 28, 32)], self.font, commands, repeat=1)]

    def summary(self):
        data = self.sections.get("review_form") or {}
        flow = [*self.heading("八", "专业技术工作总结(" + st.SECTIONS["review_form"] + ")")]
        for name, label, kind, options in self.fields.get("review_form", ()):
            if kind != "hidden":
                flow += [pl.flowing_box(label, worded(kind, options, data.get(name)), self.width, self.s["body"],
                                        self.font), Spacer(1, 1.5 * mm)]
        return flow

    def materials(self):
        rows = [[number, MATERIAL_CATEGORIES.get(item.get("category"), item.get("category")), item.get("filename"),
                 f"{item.get('pages', '')} 页"]
                for number, item in enumerate(self.dossier.get("materials") or [], start=1)]
        return [*self.heading("九", st.SECTIONS["materials"] + "目录"),
                self.grid(["序号", "类别", "文件名", "页数"], rows, (12, 36, 110, 20), empty="未上传")]

    def sign_row(self, who, seal, day):
        """签字 box, 盖章 box and the date: what the pen and the seal fill in."""
        return [self.label(who), "", self.label(seal), "", Paragraph(day, self.s["center"])]

    def block(self, title, rows, sign, boxes=(2, 4)):
        """A titled block: its text rows (flowing), then the signature row whose columns *boxes* are the
        ruled boxes for the pen and the seal."""
        widths = [w * mm for w in (14, 34, 32, 30, 36, 32)]
        data, commands = [], []
        for index, content in enumerate(rows):
            data.append([pl.cell(title, self.s["label"]) if index == 0 else "", content, "", "", "", ""])
            commands.append(("SPAN", (1, index), (-1, index)))
        data.append(["", *sign])
        last = len(data) - 1
        table = Table(data, colWidths=widths, rowHeights=[None] * last + [26 * mm])
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), self.font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("VALIGN", (1, last), (-1, last), "MIDDLE"), ("BOX", (0, 0), (-1, -1), 0.6, pl.LINE),
            ("LINEAFTER", (0, 0), (0, -1), 0.6, pl.LINE), ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            # The signature and seal boxes: ruled cells of the last row, tall enough for a seal.
            *[("GRID", (column, last), (column, last), 0.6, pl.LINE) for column in boxes],
            ("LINEABOVE", (1, last), (-1, last), 0.3, pl.GREY), *commands]))
        return table

    def opinion_rows(self, name, recorded, extra=(), space=22 * mm):
        """The opinion's rows: what was recorded (flowing), or an empty space for the pen."""
        if recorded:
            pieces = pl.chunks(recorded)
            rows = [Paragraph(f"{name}:" + pl.text(pieces[0], ""), self.s["body"])]
            rows += [Paragraph(pl.text(piece, ""), self.s["body"]) for piece in pieces[1:]]
        else:
            rows = [Paragraph(f"{name}:", self.s["body"]), Spacer(1, space)]
        return rows + [Paragraph(pl.text(line), self.s["small"]) for line in extra]

    def committee_opinion(self):
        tally = self.dossier.get("tally")
        if not tally:
            return None
        result = ("通过" if self.dossier["status"] in PASSED else "未通过" if self.dossier["status"] == st.FAILED
                  else "")
        return (f"评审委员会参加表决 {tally['voters']} 人,同意 {tally['agree']} 票,不同意 {tally['disagree']} 票,"
                f"弃权 {tally['abstain']} 票(须 {tally['required']} 票同意)。" + (f"表决结果:{result}。" if result else ""))

    def opinions(self):
        recorded = {item.get("level"): item for item in self.dossier.get("opinions") or []}
        flow = [*self.heading("十一", "审核、评审意见")]
        for title, name, who, seal, level in OPINION_BLOCKS:
            if level is None:
                text, day, extra = self.committee_opinion(), None, ()
            else:
                found = recorded.get(level) or {}
                text, day, extra = found.get("opinion"), found.get("at"), ()
                publicity = self.dossier.get("unit_publicity")
                if level == st.UNIT and publicity:
                    extra = (f"单位内部公示期:{publicity['start']} 至 {publicity['end']}",)
            block = self.block(title, self.opinion_rows(name, text, extra), self.sign_row(who, seal, _day(day)))
            flow += [KeepTogether([block]) if not text or len(text) < 600 else block, Spacer(1, 2 * mm)]
        return flow

    def commitment(self):
        data = self.sections.get("commitment") or {}
        rows = [Paragraph(pl.text(self.commitment_text), self.s["body"])]
        if data.get("signed_name"):
            signed = beijing_text(datetime.fromisoformat(data["signed_at"])) if data.get("signed_at") else ""
            rows.append(Paragraph(pl.text(f"已在线签署:签名 {data['signed_name']}" + (f",{signed}(北京时间)" if signed else "")
                                          + (f",承诺书版本 {data['statement_version']}" if data.get("statement_version") else "")),
                                  self.s["small"]))
        else:
            rows.append(Paragraph("(申报人尚未在线签署承诺书)", self.s["small"]))
        sign = [self.label("申报人签字"), "", self.label("签字日期"), Paragraph(BLANK_DATE, self.s["center"]), ""]
        return [*self.heading("十", "申报人承诺"), KeepTogether([self.block("承诺", rows, sign, boxes=(2,))])]

    def story(self):
        return [*self.header(), *self.basic_grid(), *self.current_title(), *self.education(), *self.work(),
                *self.assessments(), *self.continuing_education(), *self.achievements(), *self.summary(),
                *self.materials(), *self.commitment(), *self.opinions(),
                Spacer(1, 3 * mm), Paragraph(f"打印日期:{self.printed_on.isoformat()}。本表由昆明市职称评审系统根据申报人在线填报的内容生成,"
                                             "签字、盖章后与证明材料一并报送。", self.s["small"])]


def render_review_form(dossier, fields, commitment_text, *, photo=None, printed_on=None, font_path=None):
    """The PDF bytes of *dossier*'s 评审表 (the dossier as ``dossier.get`` answers it). *fields* is
    :func:`field_specs` of the editor's forms (with ``achievements``); *photo* the applicant's photo
    (JPEG/PNG bytes) or None for an empty 贴照片 box."""
    font = pl.font(font_path)
    form = _Form(dossier, fields, commitment_text, photo, printed_on, font)
    footer = f"{TITLE} · {dossier.get('applicant_name', '')} · {dossier['review_year']} 年度"
    return pl.build(form.story(), title=f"{TITLE} {dossier.get('applicant_name', '')}", footer=footer,
                    font_path=font_path)
