"""The gateway's own rules: who may read a dossier, which role acts, how errors become HTTP answers."""
import pytest
from nameko.exceptions import RemoteError, UnknownService

from gateway.auth import Principal
from gateway.errors import error_body
from shared.contracts.dossier_errors import IllegalTransitionError
from shared.errors import NotAuthenticated, PermissionDenied, ValidationFailed

DOSSIER = {"applicant_id": "p-1", "unit_id": "unit-a", "district_id": "wuhua"}


def principal(*roles, account_id="someone"):
    return Principal(account_id=account_id, name="测试", roles=tuple(roles))


class TestWhoMayReadADossier:
    @pytest.mark.parametrize(("roles", "account_id", "allowed"), [
        ((("applicant", None),), "p-1", True),
        ((("applicant", None),), "p-2", False),
        ((("unit_admin", "unit-a"),), "x", True),
        ((("unit_admin", "unit-b"),), "x", False),
        ((("district_admin", "wuhua"),), "x", True),
        ((("district_admin", "panlong"),), "x", False),
        ((("city_admin", "city"),), "x", True),
        ((("auditor", "city"),), "x", True),
        ((("sysadmin", "city"),), "x", False),
        ((("expert", "committee"),), "x", False),
    ])
    def test_scope_by_role_and_organisation(self, roles, account_id, allowed):
        assert principal(*roles, account_id=account_id).can_view_dossier(DOSSIER) is allowed


class TestActingRole:
    def test_the_role_held_at_the_required_organisation_is_chosen(self):
        person = principal(("applicant", None), ("unit_admin", "unit-a"))
        actor = person.actor("unit_admin", org_id="unit-a")
        assert (actor.role, actor.org_id) == ("unit_admin", "unit-a")

    def test_a_role_not_held_is_refused_in_chinese(self):
        with pytest.raises(PermissionDenied, match="单位管理员"):
            principal(("unit_admin", "unit-b")).actor("unit_admin", org_id="unit-a")


class TestErrorTable:
    @pytest.mark.parametrize(("error", "status", "code"), [
        (ValidationFailed("有误", fields={"name": ["必填"]}), 422, "validation_failed"),
        (NotAuthenticated("请登录"), 401, "not_authenticated"),
        (PermissionDenied("无权"), 403, "permission_denied"),
        (IllegalTransitionError("状态不对"), 409, "illegal_transition"),
        (UnknownService("dossier"), 503, "service_unavailable"),
        (RemoteError("KeyError", "boom"), 502, "upstream_error"),
        (RuntimeError("secret detail"), 500, "internal_error"),
    ])
    def test_each_error_has_its_status_code_and_message(self, error, status, code):
        got_status, body = error_body(error)
        assert (got_status, body["error"]["code"]) == (status, code)
        assert body["error"]["message"] and "secret detail" not in body["error"]["message"]

    def test_field_errors_are_passed_through(self):
        _, body = error_body(ValidationFailed("有误", fields={"name": ["必填"]}))
        assert body["error"]["fields"] == {"name": ["必填"]}
