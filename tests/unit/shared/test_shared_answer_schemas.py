"""The RPC edge's one answer style: ``dump(SomeOut, value)`` shapes an answer and refuses to drop a field."""
import datetime

import pytest
from marshmallow import fields

from shared.schemas import AnswerShapeError, OutSchema, dump


class ReceiptOut(OutSchema):
    number = fields.String()
    paid_on = fields.Date(allow_none=True)
    lines = fields.Raw()


def test_an_answer_is_json_safe_and_keeps_raw_fields_as_they_are():
    answer = dump(ReceiptOut, {"number": "R1", "paid_on": datetime.date(2026, 12, 2), "lines": [{"fen": 1}]})
    assert answer == {"number": "R1", "paid_on": "2026-12-02", "lines": [{"fen": 1}]}


def test_a_list_is_shaped_item_by_item():
    assert dump(ReceiptOut, [{"number": "R1"}, {"number": "R2", "paid_on": None}], many=True) == [
        {"number": "R1"}, {"number": "R2", "paid_on": None}]


def test_a_field_the_schema_does_not_declare_is_refused_not_dropped():
    with pytest.raises(AnswerShapeError, match="ReceiptOut does not declare amount_fen"):
        dump(ReceiptOut, {"number": "R1", "amount_fen": 100})
