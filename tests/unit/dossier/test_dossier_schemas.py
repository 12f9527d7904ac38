"""Input the dossier service checks itself, behind the gateway: a withdrawal's reason, dates of a person's past."""
from datetime import timedelta

import pytest

from services.dossier.schemas import BasicInfoSchema, WithdrawSchema
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise


def test_a_reason_over_several_lines_is_kept():
    assert load_or_raise(WithdrawSchema(), {"reason": "工作调动\n不再申报"})["reason"] == "工作调动\n不再申报"


@pytest.mark.parametrize("reason", ["个人\u0000原因", "个人\u202e原因", "长" * 2001])
def test_a_hostile_or_absurd_reason_is_refused(reason):
    with pytest.raises(ValidationFailed) as refused:
        load_or_raise(WithdrawSchema(), {"reason": reason})
    assert "reason" in refused.value.fields


class TestDatesOfAPersonsPast:
    """A birth date, a start of work or a title obtained later than today (Beijing) is refused."""

    BASIC = {"gender": "女", "birth_date": "1990-05-01", "phone": "13800000000", "work_start_date": "2012-07-01"}

    def test_past_dates_are_kept(self):
        loaded = load_or_raise(BasicInfoSchema(), self.BASIC)
        assert loaded["birth_date"].isoformat() == "1990-05-01"

    @pytest.mark.parametrize("field", ["birth_date", "work_start_date", "current_title_obtained_on"])
    def test_tomorrow_is_refused_with_the_date_of_today(self, field):
        tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
        with pytest.raises(ValidationFailed) as refused:
            load_or_raise(BasicInfoSchema(), {**self.BASIC, field: tomorrow})
        assert beijing_today().isoformat() in refused.value.fields[field][0]
