"""An expert's unit, which same-unit recusal compares (docs/domain-rules.md R6.5), is their organisation
membership in identity: adding to a pool takes no unit, and a change needs a reason."""
import pytest

from services.review.cases.committees import CommitteeCases
from services.review.context import Clock
from services.review.exceptions import CommitteeRuleError
from shared.contracts.review_schemas import ExpertsSchema, ExpertUnitChangeSchema
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise


class Identity:
    def __init__(self, membership):
        self.membership = membership

    def get_account(self, account_id):
        return {"id": account_id, "name": "赵工", "roles": [{"role": "expert"}], "membership": self.membership}


def expert_row(membership, **entry):
    cases = CommitteeCases(None, Identity(membership), None, Clock(), None)
    return cases._expert_row("c-1", {"expert_id": "e-1", "title": "高级工程师", "specialty": "土木", **entry})


class TestAddingToAPool:
    def test_the_unit_is_the_experts_membership(self):
        row = expert_row({"unit_id": "u-jia", "unit_name": "演示单位甲"})
        assert (row["unit_id"], row["unit_name"]) == ("u-jia", "演示单位甲")

    @pytest.mark.parametrize("field", ["unit_id", "unit_name"])
    def test_a_typed_unit_is_refused(self, field):
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(ExpertsSchema(), {"experts": [{"expert_id": "e-1", "title": "高级工程师", "specialty": "土木",
                                                         field: "u-other"}]})
        assert field in str(raised.value.fields)

    def test_an_expert_without_a_membership_cannot_join(self):
        with pytest.raises(CommitteeRuleError) as raised:
            expert_row({})
        assert "没有登记工作单位" in raised.value.message


class TestChangingTheRecusalUnit:
    def test_a_change_without_a_reason_is_refused_naming_the_field(self):
        for data in ({"unit_id": "u-yi"}, {"unit_id": "u-yi", "reason": "   "}):
            with pytest.raises(ValidationFailed) as raised:
                load_or_raise(ExpertUnitChangeSchema(), data)
            assert set(raised.value.fields) == {"reason"}

    def test_a_change_names_the_unit_and_why(self):
        loaded = load_or_raise(ExpertUnitChangeSchema(), {"unit_id": "u-yi", "reason": "2026年10月调入乙单位"})
        assert loaded == {"unit_id": "u-yi", "reason": "2026年10月调入乙单位"}
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(ExpertUnitChangeSchema(), {"reason": "2026年10月调入乙单位"})
        assert set(raised.value.fields) == {"unit_id"}
