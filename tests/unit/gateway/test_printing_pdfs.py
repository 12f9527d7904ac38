"""The printed PDFs (issue 18, item 7) built from sample dossiers: the 评审表 with every section, its photo
box and its signature and seal boxes, flowing to further pages when long; the unit 公示名单 and the
报送汇总表/推荐花名册 with their counts. Read back as a person would: pdffonts (the CJK font embedded, no
other), pdftotext (the Chinese headings and the dossier's values), and the font's glyph table (every
printed character has a glyph: no boxes)."""
import io
import subprocess
from collections import Counter
from datetime import date, datetime

import pytest
from PIL import Image
from reportlab.pdfbase import pdfmetrics

from gateway.compose import printing_lists as lists
from gateway.compose.printing_review_form import BLANK_DATE, OPINION_BLOCKS, TITLE, render_review_form
from gateway.pages.forms import COMMITMENT_TEXT
from gateway.pages.printing import REVIEW_FORM_FIELDS
from shared.clock import beijing_date
from shared.contracts import dossier as st
from shared.errors import NotFound, ValidationFailed
from shared.fonts import cjk_font
from shared.roles import DISTRICT_ADMIN, UNIT_ADMIN
from shared.titles import ASSESSMENT_RESULTS, EDUCATION_LEVELS, LEVELS, SERIES
from tests import factories

UNIT_OPINION = {"level": st.UNIT, "opinion": "同意推荐。该同志业务能力强,工作业绩突出。", "at": "2026-04-05T17:30:00+00:00"}


def run(*command, data):
    return subprocess.run(command, input=data, capture_output=True, check=True, timeout=60).stdout


def plain_text(pdf):
    """pdftotext's words with every space and line break taken out (table cells wrap Chinese anywhere)."""
    return "".join(run("pdftotext", "-", "-", data=pdf).decode().split())


def pages_of(pdf):
    return [page for page in run("pdftotext", "-layout", "-", "-", data=pdf).decode().split("\f") if page.strip()]


def assert_only_the_cjk_font_embedded(pdf):
    rows = run("pdffonts", "-", data=pdf).decode().splitlines()[2:]
    face = pdfmetrics.getFont(cjk_font()).face.name
    face = face.decode() if isinstance(face, bytes) else face
    assert rows, "no font at all"
    for row in rows:  # name type encoding emb sub uni: "emb yes" for each, and each the CJK TrueType
        assert " yes yes yes " in row and "TrueType" in row and face.split("-")[0] in row, row


def assert_every_character_has_a_glyph(printed):
    glyphs = pdfmetrics.getFont(cjk_font()).face.charToGlyph
    missing = {character for character in printed if not character.isspace() and ord(character) not in glyphs}
    assert missing == set()


def sample_dossier(**overrides):
    sections = {
        "basic_info": factories.basic_info(ethnicity="彝族", political_status="中共党员", email="zhang@example.cn",
                                           position="给排水科科长"),
        "education": factories.education(),
        "work_experience": [{"employer": "昆明市政设计研究院", "position": "助理工程师", "start": "2010-07-01",
                             "end": "2018-06-30", "duties": "负责城市供水管网设计。"},
                            *factories.work_experience()],
        "annual_assessments": factories.annual_assessments(2019, 2025, y2021="excellent"),
        "continuing_education": factories.continuing_education(),
        "review_form": {"work_summary": "任现职以来主持滇池流域污水管网改造设计。", "main_achievements": "完成三项市级重点工程。",
                        "self_assessment": "工作认真负责。"},
        "commitment": {"statement_version": "2026-1", "signed_name": "张丽华", "signed_at": "2026-04-01T02:03:04+00:00"},
    }
    dossier = {"id": "0f9c1f0e-5b1c-4c7e-9a55-1d2e3f4a5b6c", "applicant_name": "张丽华", "applicant_id": "acct-1",
               "applicant_gender": "female", "applicant_birth_date": "1987-03-08",
               "unit_id": "unit-a", "unit_name": "演示单位甲", "district_id": "wuhua", "district_name": "五华区人社局",
               "review_year": 2026, "series": "engineering", "specialty": "给排水工程", "level": "intermediate",
               "status": st.RECOMMENDED, "sections": sections,
               "achievements": [{"achievement_id": "a1", "kind": "项目", "title": "滇池北岸截污干渠工程", "date": "2021-09-30",
                                 "role": "技术负责人", "description": "日处理污水十万吨。"}],
               "materials": [factories.material(filename="毕业证书.pdf", pages=1)],
               "opinions": [UNIT_OPINION], "unit_publicity": {"start": "2026-04-06", "end": "2026-04-12"},
               "batch_id": "batch-1", "tally": None}
    dossier.update(overrides)
    return dossier


def review_form(dossier, **kwargs):
    return render_review_form(dossier, REVIEW_FORM_FIELDS, COMMITMENT_TEXT, printed_on=date(2026, 4, 20), **kwargs)


@pytest.fixture(scope="module")
def dossier():
    return sample_dossier()


@pytest.fixture(scope="module")
def pdf(dossier):
    return review_form(dossier)


class TestTheReviewForm:
    def test_the_cjk_font_is_embedded_and_no_other(self, pdf):
        assert_only_the_cjk_font_embedded(pdf)

    def test_the_title_every_section_and_the_boxes_are_printed(self, pdf):
        text = plain_text(pdf)
        headings = [TITLE, "贴照片", "现职称及现聘情况", "申报人承诺", "申报人签字", "评审年度", "申报系列", "申报级别",
                    *(st.SECTIONS[name] for name in st.SECTIONS)]
        for title, _, who, seal, _ in OPINION_BLOCKS:
            headings += [title, who, seal]
        missing = [heading for heading in headings if heading not in text]
        assert missing == []
        assert_every_character_has_a_glyph("".join(headings) + COMMITMENT_TEXT)

    def test_the_dossiers_values_are_printed(self, dossier, pdf):
        text = plain_text(pdf)
        s = dossier["sections"]
        expected = [dossier["applicant_name"], dossier["unit_name"], dossier["district_name"], dossier["specialty"],
                    SERIES[dossier["series"]], LEVELS[dossier["level"]], "女", dossier["applicant_birth_date"],
                    s["basic_info"]["ethnicity"], s["basic_info"]["phone"], s["basic_info"]["current_post"],
                    s["basic_info"]["position"], s["basic_info"]["current_title"],
                    EDUCATION_LEVELS[s["education"][0]["education_level"]], s["education"][0]["school"],
                    *(entry["employer"] for entry in s["work_experience"]), s["work_experience"][0]["duties"],
                    ASSESSMENT_RESULTS["excellent"], *(entry["course"] for entry in s["continuing_education"]),
                    str(sum(entry["hours"] for entry in s["continuing_education"])),
                    dossier["achievements"][0]["title"], dossier["achievements"][0]["description"],
                    *s["review_form"].values(), dossier["materials"][0]["filename"], s["commitment"]["signed_name"],
                    UNIT_OPINION["opinion"], dossier["unit_publicity"]["start"], dossier["unit_publicity"]["end"],
                    dossier["id"]]
        missing = [value for value in expected if value not in text]
        assert missing == []
        assert_every_character_has_a_glyph("".join(expected))

    def test_a_recorded_opinion_is_dated_by_its_beijing_day_and_the_rest_are_left_for_the_pen(self, pdf):
        text = plain_text(pdf)
        # 17:30 UTC on 5 April is already 6 April in Beijing.
        day = beijing_date(datetime.fromisoformat(UNIT_OPINION["at"]))
        assert day.strftime("%Y年%m月%d日") in text and day.isoformat() != UNIT_OPINION["at"][:10]
        # Commitment, district, city and committee: four dates written by hand.
        assert text.count("年月日") == 4

    def test_the_committees_tally_is_printed_once_the_vote_is_taken(self):
        tally = {"agree": 8, "disagree": 1, "abstain": 0, "voters": 9, "required": 6}
        text = plain_text(review_form(sample_dossier(status=st.PASSED, tally=tally)))
        assert f"参加表决{tally['voters']}人,同意{tally['agree']}票" in text and "表决结果:通过" in text

    def test_a_long_dossier_flows_to_further_pages_and_nothing_is_cut(self):
        sentences = [f"第{number:03d}项工作记录完成。" for number in range(1, 301)]  # about 4,000 characters
        long = sample_dossier()
        long["sections"] = {**long["sections"], "review_form": {**long["sections"]["review_form"],
                                                                 "work_summary": "".join(sentences)}}
        long["achievements"] = [{**long["achievements"][0], "title": f"工程项目{n}", "description": "说明。" * 300}
                                for n in range(1, 6)]
        pdf = review_form(long)
        pages = pages_of(pdf)
        assert len(pages) > len(pages_of(review_form(sample_dossier()))) and len(pages) >= 4
        assert [number for number, page in enumerate(pages, start=1)
                if f"第{number}页共{len(pages)}页" not in "".join(page.split())] == []
        text = plain_text(pdf)
        assert [sentence for sentence in sentences if sentence not in text] == []
        assert all(f"工程项目{n}" in text for n in range(1, 6))
        assert_only_the_cjk_font_embedded(pdf)

    def test_an_empty_draft_still_prints_every_section_marked_empty(self):
        empty = sample_dossier(sections={}, achievements=[], materials=[], opinions=[], unit_publicity=None,
                               applicant_gender=None, applicant_birth_date=None, status=st.DRAFT)
        text = plain_text(review_form(empty))
        assert all(st.SECTIONS[name] in text for name in st.SECTIONS)
        assert "未上传" in text and "(未填写)" in text and "尚未在线签署" in text

    def test_the_photo_box_holds_the_applicants_photo_when_there_is_one(self):
        buffer = io.BytesIO()
        Image.new("RGB", (250, 350), (200, 40, 40)).save(buffer, format="PNG")
        pdf = review_form(sample_dossier(), photo=buffer.getvalue())
        images = run("pdfimages", "-list", "-", data=pdf).decode().splitlines()[2:]
        assert len(images) >= 1 and "贴照片" not in plain_text(pdf)
        assert "贴照片" in plain_text(review_form(sample_dossier()))

    def test_the_same_dossier_gives_the_same_bytes(self, dossier, pdf):
        assert review_form(dossier) == pdf

    def test_the_blank_date_is_room_for_the_pen(self):
        assert BLANK_DATE.count("&nbsp;") >= 10


def list_dossier(number, unit="演示单位甲", level="intermediate", **overrides):
    base = sample_dossier(id=f"d-{number:03d}", applicant_name=f"申报人{number:03d}", unit_id=f"unit-{unit}",
                          unit_name=unit, level=level, applicant_gender="male" if number % 2 else "female",
                          applicant_birth_date=f"19{80 + number % 10}-0{1 + number % 9}-15")
    base.update(overrides)
    return base


class TestThePublicityList:
    def test_the_dossiers_in_unit_publicity_with_their_period_and_the_supervision_phone(self):
        publicised = [list_dossier(1), list_dossier(2, level="senior")]
        not_yet = list_dossier(3, unit_publicity=None)
        phone = "0871-63123456(王老师)"
        rows = lists.publicity_rows([*publicised, not_yet], {"unit-演示单位甲": phone})
        pdf = lists.render_publicity_list(2026, rows, printed_on=date(2026, 4, 6))
        assert_only_the_cjk_font_embedded(pdf)
        text = plain_text(pdf)
        for heading in ("2026年度专业技术职务任职资格申报人员公示名单", "序号", "姓名", "单位", "申报系列", "申报级别", "公示期",
                        "监督电话", "公示单位(盖章)"):
            assert heading in text, heading
        for dossier in publicised:
            assert dossier["applicant_name"] in text
        assert LEVELS["senior"] in text and "2026-04-06至2026-04-12" in text and phone in text
        assert not_yet["applicant_name"] not in text
        # Senior levels first, as offices list them.
        assert text.index(publicised[1]["applicant_name"]) < text.index(publicised[0]["applicant_name"])

    def test_nothing_in_publicity_is_refused_in_chinese(self):
        with pytest.raises(NotFound, match="没有已登记单位内部公示"):
            lists.render_publicity_list(2026, lists.publicity_rows([list_dossier(1, unit_publicity=None)], {}))


class TestTheRoster:
    def many(self):
        levels = ["intermediate"] * 40 + ["associate_senior"] * 15 + ["senior"] * 5
        return [list_dossier(n, level=level, unit="演示单位乙" if n % 4 == 0 else "演示单位甲")
                for n, level in enumerate(levels, start=1)]

    def test_the_forwarded_dossiers_with_their_details_and_counts(self):
        dossiers = self.many()
        unsent = list_dossier(99, batch_id=None)
        rows = lists.roster_rows(lists.forwarded([*dossiers, unsent], UNIT_ADMIN))
        sent_at = "2026-04-13T17:00:00+00:00"  # already 14 April in Beijing
        pdf = lists.render_roster(2026, rows, sender="演示单位甲", batch={"id": "batch-1", "submitted_at": sent_at})
        assert_only_the_cjk_font_embedded(pdf)
        text = plain_text(pdf)
        for heading in ("推荐花名册", "报送汇总表", "序号", "姓名", "性别", "出生年月", "学历", "现职称", "申报系列", "申报级别",
                        "工作单位", "填表人", "单位负责人", "单位盖章"):
            assert heading in text, heading
        assert unsent["applicant_name"] not in text
        assert all(d["applicant_name"] in text for d in dossiers)
        assert f"报送日期{beijing_date(datetime.fromisoformat(sent_at)).isoformat()}" in text
        first = dossiers[0]
        assert first["applicant_birth_date"][:7].replace("-", ".") in text
        assert f"合计{len(dossiers)}人" in text
        levels = Counter(d["level"] for d in dossiers)
        for code, count in levels.items():
            assert f"{LEVELS[code]}{count}人" in text
        genders = Counter("男" if d["applicant_gender"] == "male" else "女" for d in dossiers)
        assert all(f"{label}{count}人" in text for label, count in genders.items())
        pages = pages_of(pdf)
        assert len(pages) > 1 and all("序号" in page for page in pages if "申报人" in page)  # header on each page

    def test_a_district_forwards_what_it_approved_and_a_batch_is_listed_whole(self):
        approved = list_dossier(1, opinions=[UNIT_OPINION, {"level": st.DISTRICT, "opinion": "同意", "at": UNIT_OPINION["at"]}])
        waiting = list_dossier(2, batch_id="batch-2")
        assert lists.forwarded([approved, waiting], DISTRICT_ADMIN) == [approved]
        assert lists.forwarded([approved, waiting], DISTRICT_ADMIN, batch_id="batch-2") == [waiting]
        assert lists.forwarded([approved, waiting], UNIT_ADMIN) == [approved, waiting]

    def test_nothing_forwarded_is_refused_in_chinese(self):
        with pytest.raises(NotFound, match="还没有已报送的申报材料"):
            lists.render_roster(2026, [], sender="演示单位甲")


class TestTheListQuery:
    def test_the_year_defaults_to_this_one_and_a_batch_is_of_any_year(self):
        assert lists.list_query({}, today=date(2027, 3, 1)) == {"review_year": 2027}
        assert lists.list_query({"year": "2026", "unit": "u-1"}) == {"review_year": 2026, "unit_id": "u-1"}
        assert lists.list_query({"batch": "b-1"}) == {"batch_id": "b-1", "review_year": None}

    @pytest.mark.parametrize("year", ["abc", "1999", "20266"])
    def test_a_bad_year_is_refused_field_by_field(self, year):
        with pytest.raises(ValidationFailed) as refused:
            lists.list_query({"year": year})
        assert "year" in refused.value.fields
