"""identity's schemas refuse hostile text themselves too (defence in depth behind the gateway's edge)."""
import pytest

from services.identity.exceptions import InvalidInputError
from services.identity.schemas import LoginSchema, MembershipDecisionSchema, RegisterSchema, load


@pytest.mark.parametrize("name", ["张\u0000三", "张\u202e三", "张\ud800三", "张\x07三"])
def test_a_name_with_hostile_characters_is_refused_with_a_field_message(name):
    with pytest.raises(InvalidInputError) as refused:
        load(RegisterSchema, {"name": name, "id_number": "11010519491231002X", "phone": "13800000000",
                              "password": "Abcdef123456"})
    assert "name" in refused.value.fields


def test_a_password_with_a_nul_is_refused():
    with pytest.raises(InvalidInputError) as refused:
        load(LoginSchema, {"username": "13800000000", "password": "abc\u0000def"})
    assert "password" in refused.value.fields


def test_a_reason_may_span_lines_but_not_hold_a_nul():
    membership = "8a1f1c9e-6f0e-4c47-9a53-0d8c1c7f2a11"
    assert load(MembershipDecisionSchema, {"membership_id": membership, "reason": "第一行\n第二行"})["reason"] == "第一行\n第二行"
    with pytest.raises(InvalidInputError):
        load(MembershipDecisionSchema, {"membership_id": membership, "reason": "第一行\u0000"})
