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
    """A start of work, an appointment or a title obtained later than today (Beijing) is refused."""

    BASIC = {"phone": "13800000000", "work_start_date": "2012-07-01", "current_post": "专业技术岗位十级",
             "appointed_on": "2013-07-01", "employer_type": "public_institution"}

    def test_past_dates_are_kept(self):
        loaded = load_or_raise(BasicInfoSchema(), self.BASIC)
        assert (loaded["work_start_date"].isoformat(), loaded["appointed_on"].isoformat()) == ("2012-07-01", "2013-07-01")

    @pytest.mark.parametrize("field", ["work_start_date", "appointed_on", "current_title_obtained_on"])
    def test_tomorrow_is_refused_with_the_date_of_today(self, field):
        tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
        with pytest.raises(ValidationFailed) as refused:
            load_or_raise(BasicInfoSchema(), {**self.BASIC, field: tomorrow})
        assert beijing_today().isoformat() in refused.value.fields[field][0]
