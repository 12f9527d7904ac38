"""What each demo applicant fills in and uploads: the dossier's sections for an intermediate
engineering title (本科, 助理工程师 for more than four years) and small evidence PDFs.

The PDFs are rendered in reportlab's invariant mode, so the same applicant always gets the same
bytes: the demo can put a file back, unchanged, if the development object store forgot it.
"""
import io
from datetime import date, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from shared.fonts import cjk_font

from .cast import REVIEW_YEAR

# (category, file name, title printed on it)
EVIDENCE = [
    ("diploma", "学历证书.pdf", "普通高等学校毕业证书"),
    ("annual_assessment", "年度考核登记表.pdf", "年度考核登记表"),
    ("continuing_education", "继续教育学时证明.pdf", "专业技术人员继续教育学时证明"),
]
SCHOOLS = ["昆明理工大学", "云南大学", "西南林业大学", "云南农业大学"]


def _title_year(applicant):
    """The year the applicant became 助理工程师: a few years after graduating, long enough ago."""
    return min(applicant.birth_date.year + 28, REVIEW_YEAR - 5)


def sections(applicant):
    """``{section: data}`` as the dossier service's section commands take them."""
    graduated = date(applicant.birth_date.year + 22, 7, 1)
    titled = date(_title_year(applicant), 12, 1)
    school = SCHOOLS[sum(map(ord, applicant.name)) % len(SCHOOLS)]
    return {
        "basic_info": {
            # 性别 and 出生日期 are not typed: the dossier has them from the ID number (acts.apply).
            "phone": applicant.phone, "ethnicity": "汉族", "work_start_date": graduated.isoformat(),
            "position": "技术员", "employer_type": "public_institution", "current_post": "专业技术岗位十二级",
            "appointed_on": max(graduated, titled + timedelta(days=15)).isoformat(),
            "current_title": "助理工程师", "current_title_level": "primary", "current_title_series": "engineering",
            "current_title_obtained_on": titled.isoformat(),
        },
        "education": {"entries": [{
            "education_level": "bachelor", "school": school, "major": applicant.specialty,
            "start": date(graduated.year - 4, 9, 1).isoformat(), "end": date(graduated.year, 6, 30).isoformat(),
            "degree": "工学学士", "highest": True}]},
        "work_experience": {"entries": [{
            "employer": applicant.unit, "position": "技术员", "start": graduated.isoformat(), "end": None,
            "duties": f"从事{applicant.specialty}专业技术工作,负责项目设计、施工技术管理和质量控制。"}]},
        "continuing_education": {"entries": [
            entry for year in range(REVIEW_YEAR - 3, REVIEW_YEAR) for entry in (
                {"year": year, "kind": "professional", "hours": 64, "course": f"{applicant.specialty}新技术专题"},
                {"year": year, "kind": "public", "hours": 30, "course": "专业技术人员公需科目"})]},
        "annual_assessments": {"entries": [
            {"year": year, "result": "excellent" if year % 4 == 0 else "competent"}
            for year in range(titled.year + 1, REVIEW_YEAR)]},
        "review_form": {
            "work_summary": f"本人自{graduated.year}年参加工作以来,一直从事{applicant.specialty}专业技术工作,"
                            "熟悉本专业规范标准,能独立承担项目技术工作。",
            "main_achievements": "作为技术负责人参与完成市政工程项目两项,编写施工组织设计三份。",
            "self_assessment": "工作认真负责,专业基础扎实。"},
        "commitment": {"statement_version": f"{REVIEW_YEAR}-1", "signed_name": applicant.name},
    }


def achievement(applicant):
    return {"kind": "项目", "title": f"昆明市{applicant.specialty}示范项目", "date": f"{REVIEW_YEAR - 2}-06-30",
            "role": "技术负责人", "description": "负责项目技术方案编制与现场技术管理。"}


def checklist_title(item, slot):
    """The printed title of a file the materials checklist asks for: 2023年度考核登记表, 现职称证书, …"""
    label = item["label"].split("(")[0].replace("/", "")
    if slot["year"] is not None:
        return f"{slot['year']}年{label}"
    if slot["achievement_id"]:
        return f"{slot['name']}{label}"
    return label


def evidence_pdf(applicant, title):
    """A one-page scan stand-in: the document's title, the holder, and a 演示材料 mark."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"{title}(演示材料)")
    font = cjk_font()
    width, height = A4
    canvas.rect(50, 380, width - 100, height - 460)
    canvas.setFont(font, 22)
    canvas.drawCentredString(width / 2, height - 150, title)
    canvas.setFont(font, 14)
    canvas.drawString(90, height - 220, f"姓名:{applicant.name}")
    canvas.drawString(90, height - 250, f"工作单位:{applicant.unit}")
    canvas.drawString(90, height - 280, f"专业:{applicant.specialty}")
    canvas.setFont(font, 11)
    canvas.drawString(90, 400, "演示材料 · 仅供系统演示使用")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
