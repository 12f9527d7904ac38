"""The meeting record's content, its canonical bytes and signatures, the public answer, and the PDF
(Chinese text through pdftotext, every font embedded through pdffonts, a results table that breaks
across pages under its header, the same bytes every time)."""
import subprocess
from datetime import date, datetime, timezone

import pytest

from services.review.domain import record_content as rc
from services.review.record_render import render_record
from services.review.record_signing import RecordSigner
from shared.tokens import SigningKey

COMMITTEE = {"name": "昆明市工程系列中级评审委员会", "organising_body": "昆明市人力资源和社会保障局",
             "series": "engineering", "levels": ["intermediate"]}
MEETING = {"id": "meeting-1", "title": "工程系列中级评审会议(2026-05-12 第一批)", "meeting_date": date(2026, 5, 12),
           "opened_at": datetime(2026, 5, 12, 1, 30, tzinfo=timezone.utc),
           "closed_at": datetime(2026, 5, 12, 4, 5, tzinfo=timezone.utc)}
EXPERTS = [{"expert_id": f"expert-{n}", "attending": n < 8} for n in range(9)]  # 9 drawn, 8 attend
DRAW = {"seed": "5eed" * 8, "candidates": [f"expert-{n}" for n in range(13)], "excluded": {"x": "会期冲突"},
        "drawn": [f"expert-{n}" for n in range(9)], "count": 9}


def dossier(number, agree, voters=8, unit="演示单位甲"):
    required = -(-2 * voters // 3)
    return {"dossier_id": f"d-{number:03d}", "applicant_name": f"申报人{number}", "unit_name": unit,
            "tally": {"agree": agree, "disagree": voters - agree, "abstain": 0, "voters": voters, "required": required}}


def content(dossiers=None, leads=(), tally_check=None, **overrides):
    dossiers = dossiers if dossiers is not None else [dossier(1, agree=6), dossier(2, agree=4, voters=7)]
    arguments = dict(
        number="PS2026-0003", committee=COMMITTEE, meeting=MEETING, experts=EXPERTS, dossiers=dossiers,
        recused={"d-002": 1}, facts={"d-001": {"series": "engineering", "level": "intermediate", "specialty": "给排水工程"}},
        leads=list(leads), draw=DRAW, replay_matches=True, quorum_share="2/3", pass_share="2/3",
        tally_check=tally_check)
    arguments.update(overrides)
    return rc.build_content(**arguments)


class TestWhatTheRecordSays:
    def test_counts_of_experts_and_each_dossiers_tally_and_result(self):
        record = content()
        assert record["experts"] == {"drawn": 9, "attending": 8, "absent": 1, "quorum_required": 6, "quorum_share": "2/3"}
        first, second = record["dossiers"]
        assert (first["position"], first["series"], first["level"], first["specialty"]) == (1, "工程", "中级", "给排水工程")
        assert first["tally"] == {"agree": 6, "disagree": 2, "abstain": 0, "voters": 8, "required": 6}
        assert (first["carried"], first["outcome"], first["recused"]) == (True, "通过", 0)
        assert (second["carried"], second["outcome"], second["recused"]) == (False, "未通过", 1)  # 4 of 7: 5 needed
        assert (second["series"], second["level"]) == ("", "")  # not known to review: left blank, not guessed
        assert record["summary"] == {"dossiers": 2, "carried": 1, "not_carried": 1}
        assert record["committee"]["levels"] == ["中级"] and record["meeting"]["date"] == "2026-05-12"
        assert (record["meeting"]["opened_at"], record["meeting"]["closed_at"]) == ("2026-05-12 09:30", "2026-05-12 12:05")

    def test_the_draw_is_summarised_with_its_seed_and_the_replay_result(self):
        assert content()["draw"] == {"seed": "5eed" * 8, "candidates": 13, "excluded": 1, "drawn": 9, "replay_matches": True}
        assert content(replay_matches=False)["draw"]["replay_matches"] is False

    def test_lead_opinions_are_attributed_by_name_and_no_expert_id_is_kept(self):
        leads = [{"dossier_id": "d-001", "expert_id": "expert-3", "name": "评审专家03", "opinion": " 业绩突出,同意。 "},
                 {"dossier_id": "d-001", "expert_id": "expert-5", "name": "评审专家05", "opinion": None}]
        record = content(leads=leads)
        assert record["dossiers"][0]["leads"] == [{"name": "评审专家03", "opinion": "业绩突出,同意。"},
                                                 {"name": "评审专家05", "opinion": ""}]
        assert record["dossiers"][1]["leads"] == []
        assert "expert-" not in rc.canonical(record).decode()

    def test_the_tally_check_is_kept_only_when_given(self):
        assert content()["tally_check"] is None
        assert content(tally_check={"ok": False, "detail": "第 2 件的解密证明不成立"})["tally_check"] == {
            "ok": False, "detail": "第 2 件的解密证明不成立"}

    def test_the_record_never_holds_a_choice_as_a_value(self):
        def leaves(value):
            if isinstance(value, dict):
                return [leaf for item in value.values() for leaf in leaves(item)]
            if isinstance(value, list):
                return [leaf for item in value for leaf in leaves(item)]
            return [value]

        assert not {"agree", "disagree", "abstain"} & set(map(str, leaves(content())))

    def test_record_numbers_count_per_year(self):
        assert rc.record_number(2026, 7) == "PS2026-0007" and rc.record_number(2027, 12345) == "PS2027-12345"


class TestSigningAndVerifying:
    signer = RecordSigner(SigningKey.generate(), {})

    def test_the_canonical_bytes_do_not_depend_on_key_order_and_change_with_any_field(self):
        record = content()
        shuffled = dict(reversed(list(record.items())))
        assert rc.canonical(shuffled) == rc.canonical(record) and rc.canonical(record).startswith(rc.CANONICAL_PREFIX)
        altered = content(dossiers=[dossier(1, agree=7), dossier(2, agree=4, voters=7)])
        assert rc.content_sha256(altered) != rc.content_sha256(record)

    def test_a_signature_covers_exactly_the_content_and_the_seal_exactly_the_file(self):
        record = content()
        signature = self.signer.sign_content(record)
        assert self.signer.verify_content(record, signature, self.signer.key_id)
        altered = content(dossiers=[dossier(1, agree=6), dossier(2, agree=6, voters=7)])
        assert not self.signer.verify_content(altered, signature, self.signer.key_id)
        assert not self.signer.verify_content(record, signature, "another-key")
        digest, pdf = rc.content_sha256(record), "ab" * 32
        seal = self.signer.sign_file("PS2026-0003", digest, pdf)
        assert self.signer.verify_file("PS2026-0003", digest, pdf, seal, self.signer.key_id)
        assert not self.signer.verify_file("PS2026-0003", digest, "cd" * 32, seal, self.signer.key_id)
        assert not self.signer.verify_file("PS2026-0004", digest, pdf, seal, self.signer.key_id)

    @pytest.mark.parametrize("typed, expected", [
        ("AB" * 32, "ab" * 32), (f"sha256:{'0f' * 32}", "0f" * 32), (" 12 34 " + "5" * 60, "1234" + "5" * 60),
        ("ab" * 31, None), ("zz" * 32, None), ("", None), (None, None)])
    def test_a_sha256_is_read_as_people_paste_it(self, typed, expected):
        assert rc.normalize_sha256(typed) == expected

    def test_the_public_answer_shows_the_content_only_to_the_holder_of_the_very_file(self):
        row = {"number": "PS2026-0003", "key_id": "k", "content": content(), "content_sha256": "c" * 64,
               "pdf_sha256": "p" * 64, "signature": "s", "file_signature": "f"}
        valid = rc.verification_answer(row, file_matches=True, signature_valid=True)
        assert valid["valid"] and valid["content"]["number"] == "PS2026-0003" and "有效" in valid["message"]
        assert valid["canonical_content"].encode() == rc.canonical(row["content"])
        altered = rc.verification_answer(row, file_matches=False, signature_valid=True)
        assert not altered["valid"] and "content" not in altered and "不一致" in altered["message"]
        forged = rc.verification_answer(row, file_matches=True, signature_valid=False)
        assert not forged["valid"] and "content" not in forged and "签名校验未通过" in forged["message"]


def pdf_of(record):
    signer = RecordSigner(SigningKey.generate(), {})
    return render_record(record, content_sha256=rc.content_sha256(record), key_id=signer.key_id,
                         signature=signer.sign_content(record), url="http://127.0.0.1:8000/records/verify?number=PS2026-0003")


def run(*command, data):
    return subprocess.run(command, input=data, capture_output=True, check=True, timeout=60).stdout


class TestThePdf:
    def test_chinese_text_every_font_embedded_and_the_same_bytes_every_time(self):
        record = content(leads=[{"dossier_id": "d-001", "name": "评审专家03", "opinion": "业绩突出,同意推荐。"}],
                         tally_check={"ok": True, "detail": "2 件申报材料的计票结果均与加密选票一致"})
        signer = RecordSigner(SigningKey.generate(), {})
        arguments = dict(content_sha256=rc.content_sha256(record), key_id=signer.key_id,
                         signature=signer.sign_content(record), url="http://example.test/records/verify?number=PS2026-0003")
        pdf = render_record(record, **arguments)
        assert pdf == render_record(record, **arguments)
        text = run("pdftotext", "-layout", "-", "-", data=pdf).decode()
        for expected in ("表决结果汇总表 / 评审会议纪要", "昆明市工程系列中级评审委员会", "昆明市人力资源和社会保障局",
                         "抽取 9 人,出席 8 人,缺席 1 人", "申报人1", "通过", "未通过", "主审专家 评审专家03:业绩突出,同意推荐。",
                         "计票核验:通过", "复核一致", DRAW["seed"], rc.content_sha256(record), signer.key_id,
                         "PS2026-0003"):
            assert expected in text, expected
        fonts = run("pdffonts", "-", data=pdf).decode().splitlines()[2:]
        assert fonts and all(" yes yes yes " in line for line in fonts), fonts

    def test_many_dossiers_break_across_pages_under_a_repeated_header(self):
        many = [dossier(n, agree=6 if n % 3 else 4) for n in range(1, 61)]
        pdf = pdf_of(content(dossiers=many, recused={}))
        pages = run("pdftotext", "-layout", "-", "-", data=pdf).decode().split("\f")
        with_rows = [page for page in pages if "申报人" in page and "须同意" in page]
        assert len(with_rows) >= 2  # the table goes on over pages, its header on each
        assert all("第 " in page and " 页,共 " in page for page in pages if page.strip())
        assert "申报人60" in pages[-2] + pages[-1]
        assert "计票核验" not in "".join(pages)  # no check given: no line claiming one
