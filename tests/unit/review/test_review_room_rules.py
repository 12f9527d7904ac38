"""The review room's rule: drawn, attending (or before attendance is recorded), not recused experts read
a meeting's dossiers while it is drawn or open — nobody else, not before the draw, not after the close."""
import pytest

from services.review.domain import room
from services.review.domain.ballots import CLOSED, DRAWN, OPEN, PLANNED
from services.review.exceptions import (
    InvalidReviewCommandError, NotAVoterError, OutOfScopeError, RecusedError, ReviewNotAllowedError,
)


def may_read(**overrides):
    arguments = {"meeting_state": OPEN, "expert_id": "e1", "drawn_ids": {"e1", "e2", "e3"},
                 "attending_ids": {"e1", "e2"}, "attendance_recorded": True, "in_meeting": True, "recusal": None,
                 **overrides}
    return room.check_may_read(**arguments)


class TestWhoReads:
    @pytest.mark.parametrize("state", [DRAWN, OPEN])
    def test_a_drawn_attending_expert_reads_while_the_meeting_is_drawn_or_open(self, state):
        assert may_read(meeting_state=state) is None

    def test_before_attendance_is_recorded_every_drawn_expert_reads(self):
        assert may_read(meeting_state=DRAWN, attending_ids=set(), attendance_recorded=False) is None

    def test_once_attendance_is_recorded_an_absent_expert_no_longer_reads(self):
        with pytest.raises(NotAVoterError) as raised:
            may_read(expert_id="e3")
        assert "未登记出席" in raised.value.message

    def test_an_expert_not_drawn_is_refused_whatever_the_dossier(self):
        with pytest.raises(NotAVoterError) as raised:
            may_read(expert_id="e9", in_meeting=False)
        assert "不是本次评审会议抽取的专家" in raised.value.message

    def test_before_the_draw_the_room_is_not_open(self):
        with pytest.raises(NotAVoterError) as raised:
            may_read(meeting_state=PLANNED, drawn_ids=set(), attending_ids=set(), attendance_recorded=False)
        assert "尚未抽取专家" in raised.value.message

    def test_after_the_close_the_room_is_shut_even_for_drawn_experts(self):
        with pytest.raises(ReviewNotAllowedError) as raised:
            may_read(meeting_state=CLOSED)
        assert "已结束表决" in raised.value.message


class TestWhatIsRead:
    def test_a_dossier_outside_the_meeting_is_answered_like_any_unseen_dossier(self):
        with pytest.raises(OutOfScopeError) as raised:
            may_read(in_meeting=False)
        assert raised.value.http_status == 404 and raised.value.message == room.NOT_IN_MEETING

    def test_a_dossier_the_expert_recuses_from_is_refused_with_the_reason(self):
        with pytest.raises(RecusedError) as raised:
            may_read(recusal="与申报人同一单位")
        assert raised.value.http_status == 403 and "与申报人同一单位" in raised.value.message

    def test_a_view_names_the_dossier_or_one_of_its_materials(self):
        assert room.check_what("dossier") == "dossier"
        assert room.check_what(room.material_view("9f2c0a")) == "material:9f2c0a"
        assert room.material_of("material:9f2c0a") == "9f2c0a" and room.material_of("dossier") is None

    @pytest.mark.parametrize("what", ["", "history", "material:", "material:../x", "material:" + "a" * 65, None])
    def test_anything_else_is_refused_by_name(self, what):
        with pytest.raises(InvalidReviewCommandError) as raised:
            room.check_what(what)
        assert "what" in raised.value.fields
