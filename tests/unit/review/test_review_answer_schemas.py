"""Review's RPC edge in one style: every RPC answers ``dump(SomeOut, value)``, an answer is the JSON the
use case's plain data gave, and no answer schema has a place for an expert's choice."""
import ast
import inspect
import json
import textwrap
from datetime import date, datetime, timezone

import pytest
from marshmallow import fields
from nameko.rpc import Rpc

from services.review import schemas as s
from services.review.cases.objections import _objection_view
from services.review.context import row_view
from services.review.domain.workdays import WorkingCalendar
from services.review.meeting_store import MeetingData
from services.review.meeting_views import meeting_view
from services.review.service import ReviewService
from shared.contracts import dossier as st
from shared.schemas import AnswerShapeError, OutSchema, plain

MOMENT = datetime(2026, 5, 6, 2, 30, tzinfo=timezone.utc)


def as_json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def answer_schemas():
    return [value for value in vars(s).values()
            if isinstance(value, type) and issubclass(value, OutSchema) and value is not OutSchema]


def declared_names(schema_class, seen=()):
    """Every field name of *schema_class*, its nested answers' included."""
    names = set()
    for name, field in schema_class._declared_fields.items():
        names.add(name)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and inner.nested not in seen:
            names |= declared_names(inner.nested, (*seen, schema_class))
    return names


def rpc_methods():
    return [(name, function) for name, function in inspect.getmembers(ReviewService, inspect.isfunction)
            if any(isinstance(entrypoint, Rpc) for entrypoint in getattr(function, "nameko_entrypoints", ()))]


def answered_with(function):
    """The ``s.<Schema>`` names passed as first argument to ``dump(...)`` in *function*'s body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return [call.args[0].attr for call in ast.walk(tree)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "dump"
            and call.args and isinstance(call.args[0], ast.Attribute)]


def queue_row(**overrides):
    return {"dossier_id": "d-1", "version": 7, "status": st.SUBMITTED, "last_event": "dossier_submitted",
            "applicant_id": "a-1", "applicant_name": "李明", "unit_id": "u-1", "unit_name": "演示单位甲",
            "district_id": "x-1", "district_name": "五华区", "review_year": 2026, "series": "engineering",
            "specialty": "土木工程", "level": "intermediate", "submitted_at": MOMENT, "updated_at": MOMENT, **overrides}


def stored_meeting():
    """A closed meeting as the store loads it: rows with dates and times, one dossier tallied."""
    expert = {"expert_id": "e-1", "unit_id": "u-9", "draw_order": 1, "attending": True}
    dossiers = [{"dossier_id": "d-1", "applicant_id": "a-1", "applicant_name": "李明", "unit_id": "u-1",
                 "unit_name": "演示单位甲", "state": st.PASSED, "result_recorded": True, "error": None,
                 "tally": {"agree": 1, "disagree": 0, "abstain": 0, "voters": 1, "required": 1, "passed": True}},
                {"dossier_id": "d-2", "applicant_id": "a-2", "applicant_name": "王芳", "unit_id": "u-9",
                 "unit_name": "演示单位乙", "state": "assigned", "result_recorded": False, "error": "稍后重试",
                 "tally": None}]
    draw = {"seed": "ab" * 16, "candidates": ["e-1"], "count": 1, "drawn": ["e-1"], "excluded": {"e-2": "会期冲突"},
            "drawn_by": "s-1", "drawn_at": MOMENT.isoformat()}
    meeting = {"id": "m-1", "committee_id": "c-1", "title": "工程系列评审会议", "meeting_date": date(2026, 5, 6),
               "expert_count": 1, "state": "closed", "draw": draw, "attendance_recorded": True,
               "created_by": "s-1", "created_at": MOMENT, "opened_at": MOMENT, "closed_at": None}
    return MeetingData(meeting=meeting, experts=[expert], dossiers=dossiers, conflicts={})


class TestEveryRpcAnswersThroughASchema:
    def test_each_rpc_dumps_its_answer_with_a_schema_of_the_service(self):
        unanswered = [name for name, function in rpc_methods() if not answered_with(function)]
        assert rpc_methods() and unanswered == []

    def test_every_schema_an_rpc_names_is_an_answer_schema(self):
        named = {schema for _, function in rpc_methods() for schema in answered_with(function)}
        assert all(issubclass(getattr(s, name), OutSchema) for name in named)


class TestTheBallotStaysSecret:
    @pytest.mark.parametrize("schema", answer_schemas(), ids=lambda schema: schema.__name__)
    def test_no_answer_has_a_place_for_a_choice(self, schema):
        assert "choice" not in declared_names(schema)

    def test_a_closed_meeting_shows_counts_and_who_voted_never_a_choice(self):
        names = declared_names(s.MeetingOut)
        assert {"tally", "voted_experts", "ballots_cast"} <= names and "choice" not in names


class TestAnswersAreThePlainDataTheyWere:
    def test_a_meeting_from_its_stored_rows(self):
        view = meeting_view(stored_meeting(), {"id": "c-1", "name": "工程系列中级评委会", "settings": {
            "quorum_share": "2/3", "pass_share": "2/3"}}, [{"expert_id": "e-1", "name": "赵工"}], [("d-1", "e-1")])
        assert as_json(s.dump(s.MeetingOut, view)) == as_json(plain(view))

    def test_a_queue_row_and_a_decision_answer(self):
        decision = {"id": "k", "dossier_id": "d-1", "action": "return", "opinion": "", "reason": "补正",
                    "sections": ["education"], "problems": [{"section": "education", "issue": "模糊"}],
                    "actor_id": "u", "actor_role": "unit_admin", "actor_org_id": None, "status_after": st.RETURNED,
                    "version_after": 8, "decided_at": MOMENT.isoformat()}
        answer = {"dossier": row_view(queue_row()), "decision": decision}
        assert as_json(s.dump(s.DecisionAnswerOut, answer)) == as_json(plain(answer))
        unsubmitted = row_view(queue_row(submitted_at=None))
        assert s.dump(s.QueueRowOut, unsubmitted)["submitted_at"] is None

    def test_a_window_of_working_days(self):
        window = WorkingCalendar().window(date(2026, 5, 6), 5).to_dict()
        assert s.dump(s.WindowOut, window) == plain(window)
        assert s.dump(s.WindowOut, window)["end"] == "2026-05-12"

    def test_an_objection_with_its_recorded_sanction(self):
        row = {"id": "o-1", "publicity_id": "p-1", "dossier_id": "d-1", "contact": "13900001111", "contact_key": "k",
               "address_key": "h", "objector_name": "", "facts": "与实际不符", "state": "upheld", "lodged_at": MOMENT,
               "resolved_by": "c", "resolved_at": MOMENT, "resolution_reason": "属实", "fraud": True,
               "sanction_state": "recorded", "sanction": {"kind": "fraud", "bars_until": "2029-05-06"}}
        view = _objection_view(row)
        assert as_json(s.dump(s.ObjectionOut, view)) == as_json(plain(view))

    def test_a_key_the_schema_does_not_declare_is_refused_not_dropped(self):
        with pytest.raises(AnswerShapeError, match="QueueRowOut does not declare id_number"):
            s.dump(s.QueueRowOut, {**row_view(queue_row()), "id_number": "530102199001011234"})


class TestAnswerFields:
    def test_dates_and_moments_become_iso_text_whether_or_not_they_already_are(self):
        class WhenOut(OutSchema):
            day = s.IsoText()
            moment = s.IsoText()

        assert s.dump(WhenOut, {"day": date(2026, 5, 6), "moment": MOMENT}) == s.dump(
            WhenOut, {"day": "2026-05-06", "moment": MOMENT.isoformat()}) == {
            "day": "2026-05-06", "moment": "2026-05-06T02:30:00+00:00"}
        assert s.dump(WhenOut, {"day": None, "moment": None}) == {"day": None, "moment": None}

    def test_a_passed_through_structure_is_made_json_safe(self):
        class ErrorOut(OutSchema):
            error = s.PassThrough()

        error = {"code": "c", "fields": {"start": [date(2026, 5, 6)]}}
        assert s.dump(ErrorOut, {"error": error}) == {"error": {"code": "c", "fields": {"start": ["2026-05-06"]}}}
