"""Identity's RPC edge: Chinese field messages, errors that survive nameko, credential helpers."""
from pathlib import Path

import pytest
from nameko.exceptions import deserialize, serialize

from services.identity import schemas as s
from services.identity.credentials import (
    Argon2Settings, PasswordHasher, hash_refresh_token, hash_reset_code, new_refresh_token, new_reset_code,
    reset_code_matches,
)
from services.identity.application import Settings
from services.identity.dependencies import password_hasher
from services.identity.exceptions import DuplicatePhoneError, InvalidInputError, WeakPasswordError
from shared.config import load_config
from shared.errors import Conflict, ValidationFailed

CONFIG_PATH = Path(__file__).resolve().parents[3] / "services" / "identity" / "config.yaml"

CHEAP = Argon2Settings(time_cost=1, memory_cost_kib=8, parallelism=1)


def registration(**overrides):
    return {"name": "张三", "id_number": "11010519491231002X", "phone": "13812345678",
            "password": "abc12345", **overrides}


def field_errors(schema_class, data):
    with pytest.raises(InvalidInputError) as raised:
        s.load(schema_class, data)
    return raised.value.fields


class TestRegistrationInput:
    def test_a_valid_registration_loads_normalised(self):
        data = s.load(s.RegisterSchema, registration(id_number="11010519491231002x", phone="+86 138 1234 5678"))
        assert data["id_number"] == "11010519491231002X"
        assert data["phone"] == "13812345678"

    @pytest.mark.parametrize("id_number, message", [
        ("1101051949123100", "身份证号码长度应为 18 位，实际为 16 位"),
        ("11010519491231002Y", "身份证号码含有非法字符：前 17 位应为数字，最后一位应为数字或 X"),
        ("110105194902300021", "身份证号码中的出生日期不是真实存在的日期"),
        ("110105194912310021", "身份证号码校验码不正确，请核对是否有输错的数字"),
    ])
    def test_each_failed_id_number_check_has_its_own_message(self, id_number, message):
        assert field_errors(s.RegisterSchema, registration(id_number=id_number)) == {"id_number": [message]}

    def test_a_landline_is_not_accepted_as_the_phone(self):
        assert field_errors(s.RegisterSchema, registration(phone="087163123456")) == {
            "phone": ["请输入 11 位中国大陆手机号码"]}

    def test_missing_fields_are_named_in_chinese(self):
        assert field_errors(s.RegisterSchema, {}) == {
            "name": ["此项为必填项"], "id_number": ["此项为必填项"], "phone": ["此项为必填项"],
            "password": ["此项为必填项"]}

    def test_unknown_fields_are_refused(self):
        assert field_errors(s.RegisterSchema, registration(role="sysadmin")) == {"role": ["不允许的字段"]}

    def test_input_that_is_not_an_object_is_refused(self):
        assert field_errors(s.RegisterSchema, ["张三"]) == {"_schema": ["数据格式无效，应为对象"]}


class TestOtherInput:
    def test_an_actor_dict_loads_as_an_actor(self):
        actor = s.load(s.ActorSchema, {"account_id": "6f1c1c38-8f0b-4a57-9d2b-5f0f3c7a0b11", "role": "applicant"})
        assert (actor.role, actor.org_id) == ("applicant", None)

    def test_an_actor_carries_the_correlation_id_of_the_request_it_acts_in(self):
        actor = s.load(s.ActorSchema, {"account_id": "6f1c1c38-8f0b-4a57-9d2b-5f0f3c7a0b11", "role": "applicant",
                                       "correlation_id": "req-1"})
        assert actor.correlation_id == "req-1"

    def test_an_actor_id_must_be_a_uuid(self):
        assert field_errors(s.ActorSchema, {"account_id": "1; drop table", "role": "applicant"}) == {
            "account_id": ["编号格式无效"]}

    def test_an_unknown_role_is_refused(self):
        errors = field_errors(s.ActorSchema, {"account_id": "6f1c1c38-8f0b-4a57-9d2b-5f0f3c7a0b11", "role": "king"})
        assert errors == {"role": ["未知的角色"]}

    def test_ids_must_be_uuids(self):
        assert field_errors(s.AccountIdSchema, {"account_id": "1; drop table"}) == {"account_id": ["编号格式无效"]}

    def test_a_reset_code_is_six_digits(self):
        errors = field_errors(s.ResetConfirmSchema, {"phone": "13812345678", "code": "12345", "new_password": "x"})
        assert errors == {"code": ["验证码为 6 位数字"]}

    def test_a_malformed_credit_code_is_an_error_but_a_bad_checksum_is_not(self):
        base = {"name": "某单位", "parent_id": "6f1c1c38-8f0b-4a57-9d2b-5f0f3c7a0b11"}
        assert "credit_code" in field_errors(s.RegisterUnitSchema, {**base, "credit_code": "91350100M000100O43"})
        loaded = s.load(s.RegisterUnitSchema, {**base, "credit_code": "91350100m000100y44"})
        assert loaded["credit_code"] == "91350100M000100Y44"

    def test_review_year_must_be_an_integer(self):
        errors = field_errors(s.CanApplySchema, {"account_id": "6f1c1c38-8f0b-4a57-9d2b-5f0f3c7a0b11",
                                                 "review_year": "2026"})
        assert errors == {"review_year": ["应为整数"]}


class TestLogoutInput:
    def test_either_token_of_the_session_will_do(self):
        assert s.load(s.LogoutSchema, {"access_token": "a.b.c"})["access_token"] == "a.b.c"
        assert s.load(s.LogoutSchema, {"refresh_token": "r"})["everywhere"] is False

    def test_without_any_token_the_refresh_token_is_asked_for(self):
        assert field_errors(s.LogoutSchema, {}) == {"refresh_token": ["缺少刷新令牌或访问令牌"]}


class TestErrorsAcrossRpc:
    def test_an_identity_error_comes_back_as_its_own_type_with_message_and_fields(self):
        error = WeakPasswordError("密码至少需要 8 个字符", {"password": ["密码至少需要 8 个字符"]})
        again = deserialize(serialize(error))
        assert type(again) is WeakPasswordError and isinstance(again, ValidationFailed)
        assert (again.message, again.fields, again.code, again.http_status) == (
            error.message, error.fields, "weak_password", 422)

    def test_an_error_without_fields_round_trips_too(self):
        again = deserialize(serialize(DuplicatePhoneError("该手机号码已注册")))
        assert isinstance(again, Conflict) and str(again) == "该手机号码已注册" and again.fields == {}


class TestCredentials:
    def test_passwords_are_hashed_with_argon2id_and_verified(self):
        hasher = PasswordHasher(CHEAP)
        password_hash = hasher.hash("abc12345")
        assert password_hash.startswith("$argon2id$")
        assert hasher.verify(password_hash, "abc12345")
        assert not hasher.verify(password_hash, "abc12346")

    def test_a_corrupt_hash_is_a_mismatch_not_a_crash(self):
        assert not PasswordHasher(CHEAP).verify("not-a-hash", "abc12345")

    def test_a_hash_made_with_cheaper_settings_asks_for_rehashing(self):
        cheap_hash = PasswordHasher(CHEAP).hash("abc12345")
        assert PasswordHasher(Argon2Settings(time_cost=2, memory_cost_kib=16, parallelism=1)).needs_rehash(cheap_hash)

    def test_refresh_tokens_are_random_and_stored_only_as_a_digest(self):
        (first, digest), (second, _) = new_refresh_token(), new_refresh_token()
        assert first != second and len(first) >= 43
        assert digest == hash_refresh_token(first) and first not in digest

    def test_reset_codes_are_six_digits_with_leading_zeros_kept(self):
        codes = {new_reset_code(6) for _ in range(200)}
        assert all(len(code) == 6 and code.isdigit() for code in codes)

    def test_a_reset_code_hash_is_bound_to_its_row(self):
        stored = hash_reset_code("pepper", "row-1", "012345")
        assert reset_code_matches("pepper", "row-1", "012345", stored)
        assert not reset_code_matches("pepper", "row-2", "012345", stored)
        assert not reset_code_matches("pepper", "row-1", "012346", stored)


class TestShippedSettings:
    def test_the_config_gives_the_policy_defaults_of_the_issue(self, monkeypatch):
        for name in ("IDENTITY_THROTTLE_ACCOUNT_ADDRESS_FREE_FAILURES", "IDENTITY_THROTTLE_ADDRESS_FREE_FAILURES",
                     "IDENTITY_THROTTLE_ACCOUNT_ADDRESS_MAX_SECONDS", "IDENTITY_REFRESH_TTL_SECONDS",
                     "IDENTITY_RESET_CODE_TTL_MINUTES", "IDENTITY_RESET_CODE_MAX_ATTEMPTS"):
            monkeypatch.delenv(name, raising=False)
        settings = Settings.from_config(load_config(CONFIG_PATH))
        # Five failures of one name from one address, then that address waits (up to 15 minutes);
        # thirty failures of any names from one address, then the address waits.
        assert (settings.throttles.pair.free, settings.throttles.pair.cap_seconds) == (5, 900)
        assert settings.throttles.address.free == 30
        assert (settings.reset_codes.ttl_minutes, settings.reset_codes.max_attempts) == (10, 5)
        assert settings.refresh_ttl_seconds == 7 * 24 * 3600
        # The fraud bar is the year's policy's and comes with each sanction: identity has no setting for it.
        assert not hasattr(settings, "sanction_years") and "SANCTIONS" not in load_config(CONFIG_PATH)

    def test_the_config_hashes_with_real_argon2_cost_unless_told_otherwise(self, monkeypatch):
        for name in ("IDENTITY_ARGON2_TIME_COST", "IDENTITY_ARGON2_MEMORY_KIB", "IDENTITY_ARGON2_PARALLELISM"):
            monkeypatch.delenv(name, raising=False)
        hasher = password_hasher(load_config(CONFIG_PATH))
        assert "$m=65536,t=3,p=4$" in hasher.hash("abc12345")


class TestPublishedSchemas:
    """The gateway documents the bodies from shared/contracts; the service validates with the very same."""

    @pytest.mark.parametrize("name", [
        "RegisterSchema", "LoginSchema", "RefreshTokenSchema", "LogoutSchema", "ChangePasswordSchema",
        "ResetRequestSchema", "ResetConfirmSchema", "CreateAdminAccountSchema", "RoleGrantSchema",
        "RoleRequestDecisionSchema", "RegisterUnitSchema", "UnitDecisionSchema", "MembershipRequestSchema",
        "MembershipDecisionSchema",
    ])
    def test_the_service_validates_with_the_published_schema(self, name):
        from shared.contracts import identity_schemas

        assert getattr(s, name) is getattr(identity_schemas, name)
