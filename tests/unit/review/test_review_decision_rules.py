"""Decisions at the edge: every missing part named at once, and a return that lists every problem."""
import pytest

from services.review import schemas as s
from services.review.domain.decisions import compose_return, dossier_decision
from services.review.projections import DOSSIER_EVENT_TYPES
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise


def load(data):
    """A decision as a page or client sends it: made on the version it saw (here 3)."""
    return load_or_raise(s.DecisionSchema(), {"expected_version": 3, **data})


class TestDecisionSchema:
    def test_a_return_without_reason_or_sections_names_both(self):
        with pytest.raises(ValidationFailed) as raised:
            load({"action": "return"})
        assert set(raised.value.fields) == {"reason", "sections"}

    def test_field_errors_and_missing_parts_are_reported_together(self):
        with pytest.raises(ValidationFailed) as raised:
            load({"action": "return", "sections": ["nonsense"], "extra": 1})
        assert {"sections", "extra", "reason"} <= set(raised.value.fields)

    def test_an_approval_needs_an_opinion_and_a_rejection_a_reason(self):
        with pytest.raises(ValidationFailed) as raised:
            load({"action": "approve", "opinion": "  "})
        assert raised.value.fields == {"opinion": ["审核通过须填写审核(推荐)意见"]}
        with pytest.raises(ValidationFailed):
            load({"action": "reject"})

    def test_a_list_of_problems_is_enough_for_a_return(self):
        loaded = load({"action": "return", "problems": [{"section": "education", "issue": "学历证书不清晰"}]})
        assert loaded["problems"][0]["section"] == "education"

    def test_an_unknown_action_is_refused_in_chinese(self):
        with pytest.raises(ValidationFailed) as raised:
            load({"action": "maybe", "opinion": "x"})
        assert raised.value.fields["action"][0].startswith("应为以下之一")


class TestOneNoticeForEveryProblem:
    def test_problems_become_one_numbered_reason_and_their_sections_join_the_list(self):
        reason, sections = compose_return("请在截止前重新提交", ["basic_info"], [
            {"section": "education", "issue": "学历证书扫描件不清晰"},
            {"section": "materials", "issue": "缺少近三年年度考核表"},
            {"section": "basic_info", "issue": "手机号码有误"}])
        assert sections == ["basic_info", "education", "materials"]
        assert reason.startswith("请一次性补正以下 3 项问题:1.【学历学位】学历证书扫描件不清晰;2.【证明材料】")
        assert reason.endswith("其他说明:请在截止前重新提交")

    def test_a_plain_return_passes_its_reason_and_sections_through(self):
        assert dossier_decision({"action": "return", "reason": "材料不全", "sections": ["materials"], "problems": [],
                                 "expected_version": 9}) == {
            "action": "return", "reason": "材料不全", "sections": ["materials"], "expected_version": 9}

    def test_approvals_and_rejections_carry_only_what_the_dossier_takes(self):
        assert dossier_decision({"action": "approve", "opinion": " 同意推荐 ", "expected_version": 9}) == {
            "action": "approve", "opinion": "同意推荐", "expected_version": 9}
        assert dossier_decision({"action": "reject", "reason": "不符合条件", "expected_version": 9}) == {
            "action": "reject", "reason": "不符合条件", "expected_version": 9}

    def test_a_decision_names_the_version_it_was_made_on(self):
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(s.DecisionSchema(), {"action": "approve", "opinion": "同意"})
        assert "expected_version" in raised.value.fields["expected_version"][0]


def test_review_listens_to_every_event_the_dossier_aggregate_records():
    from services.dossier.domain import DossierEvent, event_name

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    recorded = {f"dossier_{event_name(cls)}" for cls in subclasses(DossierEvent) if cls.__module__ == "services.dossier.domain"}
    assert recorded == set(DOSSIER_EVENT_TYPES)


def test_the_review_service_has_one_handler_per_dossier_event_type():
    from services.review.service import ReviewService

    handlers = {name for name in dir(ReviewService) if name.startswith("handle_dossier_")}
    assert handlers == {f"handle_{event_type}" for event_type in DOSSIER_EVENT_TYPES}
