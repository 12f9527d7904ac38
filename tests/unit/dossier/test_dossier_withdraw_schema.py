"""The reason given with a withdrawal is checked by the dossier service itself, behind the gateway."""
import pytest

from services.dossier.schemas import WithdrawSchema
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise


def test_a_reason_over_several_lines_is_kept():
    assert load_or_raise(WithdrawSchema(), {"reason": "工作调动\n不再申报"})["reason"] == "工作调动\n不再申报"


@pytest.mark.parametrize("reason", ["个人\u0000原因", "个人\u202e原因", "长" * 2001])
def test_a_hostile_or_absurd_reason_is_refused(reason):
    with pytest.raises(ValidationFailed) as refused:
        load_or_raise(WithdrawSchema(), {"reason": reason})
    assert "reason" in refused.value.fields
