"""Identity's use cases against real PostgreSQL and Redis (no broker): registration, login and its
throttles, sessions and tokens, password reset, organisations, memberships, roles and role requests,
sanctions and seed data."""
import secrets
from datetime import date

import pytest
from sqlalchemy import func, select

from services.identity.exceptions import (
    AccountDisabledError, AccountPendingError, ActionNotAllowedError, CreditCodeNeedsConfirmationError,
    DuplicateCreditCodeError, DuplicateIdNumberError, DuplicatePhoneError, InvalidCredentialsError,
    InvalidInputError, InvalidResetCodeError, OutOfScopeError, RefreshTokenReusedError,
    ResetRequestedTooSoonError, SeparationOfDutiesError, StateConflictError, TokenRefusedError,
    TooManyAttemptsError, UnsuitableOrganisationError, WeakPasswordError, WrongCurrentPasswordError,
)
from services.identity.tables import Account, AuditEntry, Organisation, RoleGrant
from services.identity.seed import seed_demo
from shared.contracts.notification import SendCodeSchema
from shared.roles import Actor

DEMO_PASSWORD = "Kunming@2026"
PASSWORD = "Passw0rd-test"


def login_audit(identity, account_id):
    with identity.session_factory() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.account_id == account_id,
                                                        AuditEntry.action == "login").order_by(AuditEntry.id)).all()


class TestRegistration:
    def test_an_applicant_registers_with_name_id_number_phone_and_password(self, make_applicant):
        applicant = make_applicant(id_number="11010519491231002x")
        account = applicant["account"]
        assert account["id_number_masked"] == "1101**********002X"
        assert (account["gender"], account["birth_date"]) == ("female", date(1949, 12, 31))
        assert [role["role"] for role in account["roles"]] == ["applicant"]

    def test_the_password_is_stored_as_an_argon2id_hash(self, identity, make_applicant):
        applicant = make_applicant()
        with identity.session_factory() as session:
            stored = session.get(Account, applicant["account"]["id"]).password_hash
        assert stored.startswith("$argon2id$") and PASSWORD not in stored

    def test_a_second_registration_with_the_same_id_number_is_refused_clearly(self, identity, make_applicant, fresh):
        first = make_applicant()
        with pytest.raises(DuplicateIdNumberError) as refused:
            identity.accounts.register("另一人", first["id_number"], fresh.phone(), PASSWORD)
        assert refused.value.message == "该身份证号码已注册，请直接登录或找回密码"
        assert refused.value.http_status == 409

    def test_a_second_registration_with_the_same_phone_is_refused_clearly(self, identity, make_applicant, fresh):
        first = make_applicant()
        with pytest.raises(DuplicatePhoneError, match="该手机号码已注册"):
            identity.accounts.register("另一人", fresh.id_number(), first["phone"], PASSWORD)

    def test_both_taken_fields_are_named_at_once(self, identity, make_applicant):
        first = make_applicant()
        with pytest.raises(DuplicateIdNumberError) as refused:
            identity.accounts.register("另一人", first["id_number"], first["phone"], PASSWORD)
        assert set(refused.value.fields) == {"id_number", "phone"}

    def test_a_lost_race_on_the_unique_columns_gives_the_same_clear_error(self, identity, make_applicant, fresh,
                                                                          monkeypatch):
        # Two instances may both pass the pre-check; the database constraint then decides.
        first = make_applicant()
        from services.identity.application import accounts

        monkeypatch.setattr(accounts, "refuse_duplicates", lambda *args, **kwargs: None)
        with pytest.raises(DuplicateIdNumberError):
            identity.accounts.register("另一人", first["id_number"], fresh.phone(), PASSWORD)
        with pytest.raises(DuplicatePhoneError):
            identity.accounts.register("另一人", fresh.id_number(), first["phone"], PASSWORD)

    def test_a_password_built_on_the_birth_date_is_refused(self, identity, fresh):
        id_number = fresh.id_number(birth_date=date(1985, 6, 15))
        with pytest.raises(WeakPasswordError) as refused:
            identity.accounts.register("张三", id_number, fresh.phone(), "zs19850615")
        assert refused.value.fields == {"password": ["密码不能使用出生日期"]}

    def test_an_invalid_id_number_reaching_the_application_is_an_input_error(self, identity, fresh):
        with pytest.raises(InvalidInputError) as refused:
            identity.accounts.register("张三", "110105194912310021", fresh.phone(), PASSWORD)
        assert "校验码" in refused.value.fields["id_number"][0]


class TestLogin:
    def test_an_applicant_logs_in_with_the_id_number_or_the_phone(self, identity, make_applicant):
        applicant = make_applicant()
        by_id = identity.authentication.login(applicant["id_number"].lower(), PASSWORD)
        by_phone = identity.authentication.login(applicant["phone"], PASSWORD)
        assert by_id["account"]["id"] == by_phone["account"]["id"] == applicant["account"]["id"]
        assert by_id["token_type"] == "Bearer" and by_id["expires_in"] == 900

    def test_an_administrator_logs_in_with_the_login_name(self, identity, demo):
        result = identity.authentication.login("CITY_ADMIN", DEMO_PASSWORD)
        assert [role["role"] for role in result["account"]["roles"]] == ["city_admin"]

    def test_a_wrong_password_gets_the_same_plain_refusal_as_an_unknown_username(self, identity, make_applicant):
        # It used to say "再错 4 次" for existing accounts only, which told strangers who is registered.
        applicant = make_applicant()
        with pytest.raises(InvalidCredentialsError) as refused:
            identity.authentication.login(applicant["phone"], "wrong-pass1")
        assert refused.value.message == "用户名或密码错误" and refused.value.fields == {}

    def test_an_unknown_username_gets_the_plain_refusal(self, identity, fresh):
        with pytest.raises(InvalidCredentialsError) as refused:
            identity.authentication.login(fresh.phone(), PASSWORD)
        assert refused.value.message == "用户名或密码错误"

    def test_every_attempt_is_audited_with_time_address_and_outcome(self, identity, make_applicant):
        applicant = make_applicant()
        with pytest.raises(InvalidCredentialsError):
            identity.authentication.login(applicant["phone"], "wrong-pass1", source_address="10.0.0.7")
        identity.authentication.login(applicant["phone"], PASSWORD, source_address="10.0.0.8")
        entries = login_audit(identity, applicant["account"]["id"])
        assert [(e.outcome, e.source_address) for e in entries] == [("failure", "10.0.0.7"), ("success", "10.0.0.8")]
        assert all(entry.at is not None for entry in entries)
        assert entries[0].detail["reason"] == "bad_password"

    def test_an_attempt_on_an_unknown_username_is_audited_with_the_username_masked(self, identity, fresh):
        phone = fresh.phone()
        with pytest.raises(InvalidCredentialsError):
            identity.authentication.login(phone, PASSWORD, source_address="10.0.0.9")
        with identity.session_factory() as session:
            entry = session.scalar(select(AuditEntry).where(AuditEntry.detail["username"].astext == f"{phone[:3]}****{phone[-4:]}"))
        assert (entry.account_id, entry.outcome, entry.source_address) == (None, "failure", "10.0.0.9")


def random_address():
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def signed_in_account(identity, username, password, address=None):
    """The id of the account a login opens a session for: the login was let through and found its owner."""
    return identity.authentication.login(username, password, source_address=address)["account"]["id"]


class TestThrottles:
    """Failures slow down the address they come from; no account is ever locked (the old lockout
    let five wrong passwords from anywhere lock anyone, the city admin included)."""

    def fail(self, identity, username, times, address):
        for _ in range(times):
            with pytest.raises(InvalidCredentialsError):
                identity.authentication.login(username, "wrong-pass1", source_address=address)

    def test_five_failures_from_one_address_make_that_address_wait_even_with_the_right_password(
            self, identity, make_applicant):
        applicant, address = make_applicant(), random_address()
        self.fail(identity, applicant["phone"], 5, address)
        with pytest.raises(TooManyAttemptsError) as refused:
            identity.authentication.login(applicant["phone"], PASSWORD, source_address=address)
        assert refused.value.http_status == 429 and refused.value.retry_after == 60
        assert "登录失败次数过多" in refused.value.message

    def test_an_account_attacked_from_one_address_still_logs_in_from_another(self, identity, make_applicant):
        applicant, attacker, owner = make_applicant(), random_address(), random_address()
        self.fail(identity, applicant["phone"], 5, attacker)
        for _ in range(3):
            with pytest.raises(TooManyAttemptsError):
                identity.authentication.login(applicant["phone"], "wrong-pass1", source_address=attacker)
        assert identity.authentication.login(applicant["phone"], PASSWORD, source_address=owner)["account"]["locked_until"] is None

    def test_admins_are_throttled_the_same_way_and_never_locked(self, identity, demo):
        attacker = random_address()
        self.fail(identity, "city_admin", 5, attacker)
        with pytest.raises(TooManyAttemptsError):
            identity.authentication.login("city_admin", DEMO_PASSWORD, source_address=attacker)
        assert signed_in_account(identity, "city_admin", DEMO_PASSWORD, random_address()) == demo["accounts"]["city_admin"]

    def test_a_hundred_failures_on_random_names_from_one_address_are_stopped(self, identity):
        address, answers = random_address(), []
        for _ in range(100):
            try:
                identity.authentication.login(f"nobody{secrets.token_hex(4)}", "wrong-pass1", source_address=address)
            except (InvalidCredentialsError, TooManyAttemptsError) as refused:
                answers.append(type(refused))
        assert answers.count(InvalidCredentialsError) == 30 and answers[-1] is TooManyAttemptsError

    def test_the_wait_ends_by_itself_and_doubles_with_the_next_failure(self, identity, make_applicant, clock):
        applicant, address = make_applicant(), random_address()
        self.fail(identity, applicant["phone"], 5, address)
        clock.advance(seconds=61)
        self.fail(identity, applicant["phone"], 1, address)
        with pytest.raises(TooManyAttemptsError) as refused:
            identity.authentication.login(applicant["phone"], PASSWORD, source_address=address)
        assert refused.value.retry_after == 120
        clock.advance(seconds=121)
        assert signed_in_account(identity, applicant["phone"], PASSWORD, address) == applicant["account"]["id"]

    def test_a_success_resets_that_addresss_count(self, identity, make_applicant):
        applicant, address = make_applicant(), random_address()
        self.fail(identity, applicant["phone"], 4, address)
        assert signed_in_account(identity, applicant["phone"], PASSWORD, address) == applicant["account"]["id"]
        # Four more failures after the success: had the count not restarted, the fifth would already wait.
        self.fail(identity, applicant["phone"], 4, address)
        assert signed_in_account(identity, applicant["phone"], PASSWORD, address) == applicant["account"]["id"]

    def test_a_sysadmin_clears_the_back_off_of_every_name_and_address(self, identity, make_applicant, actors):
        applicant, first, second = make_applicant(), random_address(), random_address()
        self.fail(identity, applicant["phone"], 5, first)
        self.fail(identity, applicant["id_number"], 5, second)
        identity.accounts.unlock_account(actors["sysadmin"], applicant["account"]["id"])
        assert signed_in_account(identity, applicant["phone"], PASSWORD, first) == applicant["account"]["id"]
        assert signed_in_account(identity, applicant["id_number"], PASSWORD, second) == applicant["account"]["id"]

    def test_resetting_the_password_by_sms_clears_the_back_off(self, identity, make_applicant, texted_code):
        applicant, address = make_applicant(), random_address()
        self.fail(identity, applicant["phone"], 5, address)
        identity.passwords.request_password_reset(applicant["phone"])
        identity.passwords.confirm_password_reset(applicant["phone"], texted_code(applicant["phone"]), "NewPassw0rd")
        assert signed_in_account(identity, applicant["phone"], "NewPassw0rd", address) == applicant["account"]["id"]

    def test_known_and_unknown_names_get_identical_answers_throughout(self, identity, make_applicant, fresh):
        def answers(username):
            address, seen = random_address(), []
            for _ in range(7):
                try:
                    identity.authentication.login(username, "wrong-pass1", source_address=address)
                except (InvalidCredentialsError, TooManyAttemptsError) as refused:
                    seen.append((type(refused).__name__, refused.message, refused.fields,
                                 getattr(refused, "retry_after", None)))
            return seen

        assert answers(make_applicant()["phone"]) == answers(fresh.phone())

    def test_known_and_unknown_names_cost_one_password_hash_each(self, identity, make_applicant, fresh,
                                                                monkeypatch):
        checked = []
        real_verify = identity.hasher.verify
        monkeypatch.setattr(identity.hasher, "verify", lambda *args: checked.append(1) or real_verify(*args))
        for username in (make_applicant()["phone"], fresh.phone()):
            with pytest.raises(InvalidCredentialsError):
                identity.authentication.login(username, "wrong-pass1", source_address=random_address())
        assert checked == [1, 1]

    def test_a_disabled_account_is_named_only_to_whoever_knows_its_password(self, identity, make_applicant,
                                                                           actors):
        applicant = make_applicant()
        identity.accounts.disable_account(actors["sysadmin"], applicant["account"]["id"], "离职")
        with pytest.raises(InvalidCredentialsError, match="用户名或密码错误"):
            identity.authentication.login(applicant["phone"], "wrong-pass1", source_address=random_address())
        with pytest.raises(AccountDisabledError):
            identity.authentication.login(applicant["phone"], PASSWORD, source_address=random_address())


class TestRefreshTokens:
    def test_a_refresh_token_is_swapped_for_new_tokens(self, identity, make_applicant):
        applicant = make_applicant()
        first = identity.authentication.login(applicant["phone"], PASSWORD)
        second = identity.authentication.refresh(first["refresh_token"])
        assert second["refresh_token"] != first["refresh_token"]
        assert identity.authentication.authenticate(second["access_token"])["account_id"] == applicant["account"]["id"]

    def test_reusing_a_used_refresh_token_revokes_the_whole_family(self, identity, make_applicant):
        applicant = make_applicant()
        first = identity.authentication.login(applicant["phone"], PASSWORD)
        second = identity.authentication.refresh(first["refresh_token"])
        with pytest.raises(RefreshTokenReusedError):
            identity.authentication.refresh(first["refresh_token"])
        with pytest.raises(TokenRefusedError):
            identity.authentication.refresh(second["refresh_token"])
        with pytest.raises(TokenRefusedError, match="登录已结束"):
            identity.authentication.authenticate(second["access_token"])

    def test_reuse_leaves_other_sign_ins_alone(self, identity, make_applicant):
        applicant = make_applicant()
        laptop = identity.authentication.login(applicant["phone"], PASSWORD)
        phone = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.authentication.refresh(laptop["refresh_token"])
        with pytest.raises(RefreshTokenReusedError):
            identity.authentication.refresh(laptop["refresh_token"])
        identity.authentication.refresh(phone["refresh_token"])

    def test_a_refresh_token_expires_after_seven_days(self, identity, make_applicant, clock):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        clock.advance(days=7, seconds=1)
        with pytest.raises(TokenRefusedError, match="登录已过期"):
            identity.authentication.refresh(tokens["refresh_token"])

    def test_logout_revokes_the_refresh_token(self, identity, make_applicant):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.authentication.logout(tokens["refresh_token"])
        with pytest.raises(TokenRefusedError):
            identity.authentication.refresh(tokens["refresh_token"])

    def test_logout_ends_that_sessions_access_tokens_at_once(self, identity, make_applicant):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.authentication.logout(tokens["refresh_token"])
        with pytest.raises(TokenRefusedError, match="登录已结束"):
            identity.authentication.authenticate(tokens["access_token"])

    def test_logout_leaves_the_accounts_other_sessions_working(self, identity, make_applicant):
        applicant = make_applicant()
        laptop = identity.authentication.login(applicant["phone"], PASSWORD)
        phone = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.authentication.logout(laptop["refresh_token"])
        assert identity.authentication.authenticate(phone["access_token"])["account_id"] == applicant["account"]["id"]
        identity.authentication.refresh(phone["refresh_token"])

    def test_logout_with_only_the_access_token_even_an_expired_one_ends_the_session(
            self, identity, make_applicant, clock):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        clock.advance(minutes=16)
        assert identity.authentication.logout(access_token=tokens["access_token"]) == {"ok": True}
        with pytest.raises(TokenRefusedError):
            identity.authentication.refresh(tokens["refresh_token"])

    def test_ended_sessions_are_on_the_shared_revocation_list(self, identity, make_applicant):
        from shared.tokens import verifier_from_key_set

        applicant = make_applicant()
        ended, kept = (identity.authentication.login(applicant["phone"], PASSWORD) for _ in range(2))
        identity.authentication.logout(ended["refresh_token"])
        verifier = verifier_from_key_set(identity.authentication.public_keys())
        assert identity.revocations.refuses(verifier.verify(ended["access_token"])) is True
        assert identity.revocations.refuses(verifier.verify(kept["access_token"])) is False
        identity.passwords.change_password(applicant["actor"], PASSWORD, "An0ther-pass")
        assert identity.revocations.refuses(verifier.verify(kept["access_token"])) is True

    def test_each_session_has_its_own_id_and_csrf_token_whose_digest_its_tokens_carry(
            self, identity, make_applicant):
        from shared.tokens import csrf_digest, verifier_from_key_set

        applicant = make_applicant()
        first, second = (identity.authentication.login(applicant["phone"], PASSWORD) for _ in range(2))
        verifier = verifier_from_key_set(identity.authentication.public_keys())
        claims = verifier.verify(first["access_token"])
        assert claims["sid"] == first["session_id"] != second["session_id"]
        assert claims["csrf"] == csrf_digest(first["csrf_token"]) != csrf_digest(second["csrf_token"])
        refreshed = verifier.verify(identity.authentication.refresh(first["refresh_token"])["access_token"])
        assert (refreshed["sid"], refreshed["csrf"]) == (claims["sid"], claims["csrf"])

    def test_logout_everywhere_also_makes_access_tokens_stale(self, identity, make_applicant):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.authentication.logout(tokens["refresh_token"], everywhere=True)
        with pytest.raises(TokenRefusedError, match="登录已失效"):
            identity.authentication.authenticate(tokens["access_token"])

    def test_changing_the_password_revokes_every_token_of_every_session(self, identity, make_applicant):
        applicant = make_applicant()
        tokens, other = identity.authentication.login(applicant["phone"], PASSWORD), identity.authentication.login(applicant["phone"], PASSWORD)
        identity.passwords.change_password(applicant["actor"], PASSWORD, "An0ther-pass")
        for session in (tokens, other):
            with pytest.raises(TokenRefusedError):
                identity.authentication.refresh(session["refresh_token"])
            with pytest.raises(TokenRefusedError):
                identity.authentication.authenticate(session["access_token"])
        identity.authentication.login(applicant["phone"], "An0ther-pass")

    def test_changing_the_password_needs_the_current_one(self, identity, make_applicant):
        applicant = make_applicant()
        with pytest.raises(WrongCurrentPasswordError):
            identity.passwords.change_password(applicant["actor"], "not-it-123", "An0ther-pass")

    def test_a_disabled_account_loses_its_tokens_and_cannot_log_in(self, identity, make_applicant, actors):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.accounts.disable_account(actors["sysadmin"], applicant["account"]["id"], "离职")
        with pytest.raises(AccountDisabledError):
            identity.authentication.authenticate(tokens["access_token"])
        with pytest.raises(TokenRefusedError):
            identity.authentication.refresh(tokens["refresh_token"])
        with pytest.raises(AccountDisabledError):
            identity.authentication.login(applicant["phone"], PASSWORD)

    def test_the_published_keys_verify_access_tokens_locally(self, identity, make_applicant):
        from shared.tokens import verifier_from_key_set

        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        claims = verifier_from_key_set(identity.authentication.public_keys()).verify(tokens["access_token"])
        assert claims["sub"] == applicant["account"]["id"]
        assert claims["roles"] == [{"role": "applicant", "org_id": None}]


class TestPasswordReset:
    def test_a_six_digit_code_is_handed_to_the_notification_service(self, identity, make_applicant, outbox):
        applicant = make_applicant()
        answer = identity.passwords.request_password_reset(applicant["phone"])
        request, = outbox(applicant["phone"])
        assert request["template"] == "password_reset_code" and answer["expires_in"] == 600
        assert len(request["params"]["code"]) == 6 and request["params"]["code"].isdigit()
        assert request["params"]["minutes"] == "10" and request["reference"].startswith("reset:")
        # The contract's own input schema takes it as it is (shared/contracts/notification.py).
        assert SendCodeSchema().load(request) == request

    def test_a_reset_that_rolls_back_hands_nothing_over(self, identity, make_applicant, outbox, monkeypatch):
        applicant = make_applicant()

        def failing_audit(*args, **kwargs):
            raise RuntimeError("the transaction fails after the code was made")

        monkeypatch.setattr(identity.passwords.database, "audit", failing_audit)
        with pytest.raises(RuntimeError):
            identity.passwords.request_password_reset(applicant["phone"])
        assert outbox(applicant["phone"]) == []

    def test_the_right_code_sets_the_new_password(self, identity, make_applicant, texted_code):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        identity.passwords.confirm_password_reset(applicant["phone"], texted_code(applicant["phone"]), "NewPassw0rd")
        identity.authentication.login(applicant["phone"], "NewPassw0rd")
        with pytest.raises(InvalidCredentialsError):
            identity.authentication.login(applicant["phone"], PASSWORD)

    def test_a_wrong_code_and_an_expired_code_get_the_same_answer(self, identity, make_applicant, texted_code,
                                                                  clock):
        # Telling them apart ("还可尝试 4 次" against "已过期") told strangers whether a code was live.
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        code = texted_code(applicant["phone"])
        with pytest.raises(InvalidResetCodeError) as wrong:
            identity.passwords.confirm_password_reset(applicant["phone"], f"{(int(code) + 1) % 1000000:06d}", "NewPassw0rd")
        clock.advance(minutes=10)
        with pytest.raises(InvalidResetCodeError) as expired:
            identity.passwords.confirm_password_reset(applicant["phone"], code, "NewPassw0rd")
        assert (wrong.value.code, wrong.value.message, wrong.value.fields) == (
            expired.value.code, expired.value.message, expired.value.fields)

    def test_five_wrong_codes_use_the_code_up(self, identity, make_applicant, texted_code):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        code = texted_code(applicant["phone"])
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        for _ in range(5):
            with pytest.raises(InvalidResetCodeError):
                identity.passwords.confirm_password_reset(applicant["phone"], wrong, "NewPassw0rd")
        with pytest.raises(InvalidResetCodeError):
            identity.passwords.confirm_password_reset(applicant["phone"], code, "NewPassw0rd")

    def test_a_code_expires_after_ten_minutes(self, identity, make_applicant, texted_code, clock):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        clock.advance(minutes=10)
        with pytest.raises(InvalidResetCodeError, match="验证码错误或已失效"):
            identity.passwords.confirm_password_reset(applicant["phone"], texted_code(applicant["phone"]), "NewPassw0rd")

    def test_a_new_code_replaces_the_earlier_one(self, identity, make_applicant, texted_code, clock):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        first = texted_code(applicant["phone"])
        clock.advance(seconds=61)
        identity.passwords.request_password_reset(applicant["phone"])
        second = texted_code(applicant["phone"])
        if first != second:
            with pytest.raises(InvalidResetCodeError):
                identity.passwords.confirm_password_reset(applicant["phone"], first, "NewPassw0rd")
        identity.passwords.confirm_password_reset(applicant["phone"], second, "NewPassw0rd")

    def test_a_new_code_waits_for_the_resend_interval(self, identity, make_applicant):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        with pytest.raises(ResetRequestedTooSoonError, match="秒后再重新获取") as refused:
            identity.passwords.request_password_reset(applicant["phone"])
        assert refused.value.http_status == 429 and refused.value.retry_after == 60

    def test_an_unknown_phone_waits_the_resend_interval_too(self, identity, fresh):
        phone = fresh.phone()
        identity.passwords.request_password_reset(phone)
        with pytest.raises(ResetRequestedTooSoonError) as refused:
            identity.passwords.request_password_reset(phone)
        assert refused.value.retry_after == 60

    def test_a_code_works_only_once(self, identity, make_applicant, texted_code):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        code = texted_code(applicant["phone"])
        identity.passwords.confirm_password_reset(applicant["phone"], code, "NewPassw0rd")
        with pytest.raises(InvalidResetCodeError):
            identity.passwords.confirm_password_reset(applicant["phone"], code, "Th1rdPassword")

    def test_a_weak_new_password_keeps_the_code_usable(self, identity, make_applicant, texted_code):
        applicant = make_applicant()
        identity.passwords.request_password_reset(applicant["phone"])
        code = texted_code(applicant["phone"])
        with pytest.raises(WeakPasswordError):
            identity.passwords.confirm_password_reset(applicant["phone"], code, "short1")
        identity.passwords.confirm_password_reset(applicant["phone"], code, "NewPassw0rd")

    def test_an_unknown_phone_gets_the_same_answer_and_no_text(self, identity, make_applicant, outbox, fresh):
        known = identity.passwords.request_password_reset(make_applicant()["phone"])
        phone = fresh.phone()
        assert identity.passwords.request_password_reset(phone) == known
        assert outbox(phone) == []
        with pytest.raises(InvalidResetCodeError):
            identity.passwords.confirm_password_reset(phone, "123456", "NewPassw0rd")

    def test_wrong_codes_from_one_address_make_it_wait(self, identity, make_applicant, fresh):
        address = random_address()
        for _ in range(10):
            with pytest.raises(InvalidResetCodeError):
                identity.passwords.confirm_password_reset(fresh.phone(), "123456", "NewPassw0rd", source_address=address)
        with pytest.raises(TooManyAttemptsError):
            identity.passwords.confirm_password_reset(fresh.phone(), "123456", "NewPassw0rd", source_address=address)

    def test_a_completed_reset_ends_every_sign_in_and_texts_a_notice(self, identity, make_applicant, texted_code, outbox):
        applicant = make_applicant()
        tokens = identity.authentication.login(applicant["phone"], PASSWORD)
        identity.passwords.request_password_reset(applicant["phone"])
        identity.passwords.confirm_password_reset(applicant["phone"], texted_code(applicant["phone"]), "NewPassw0rd")
        with pytest.raises(TokenRefusedError):
            identity.authentication.refresh(tokens["refresh_token"])
        assert outbox(applicant["phone"])[0]["template"] == "password_changed"


class TestOrganisations:
    def test_the_seeded_tree_has_the_city_and_its_fourteen_districts(self, identity):
        districts = identity.organisations.list_orgs(kind="district")
        assert len(districts) == 14
        assert {d["code"] for d in districts} >= {"530102", "530115", "530181"}
        city, = identity.organisations.list_orgs(kind="city")
        assert city["name"] == "昆明市人社局" and all(d["parent_id"] == city["id"] for d in districts)

    def test_competent_departments_sit_beside_the_districts(self, identity):
        names = {d["name"] for d in identity.organisations.list_orgs(kind="department")}
        assert {"昆明市卫生健康委员会", "昆明市住房和城乡建设局", "昆明市教育体育局"} <= names

    def test_a_units_ancestors_run_up_to_the_city(self, identity, demo):
        ancestors = identity.organisations.org_ancestors(demo["orgs"]["演示单位甲"])
        assert [org["name"] for org in ancestors] == ["五华区人社局", "昆明市人社局"]

    def test_units_under_a_district_are_its_own_units_only(self, identity, demo):
        wuhua = {unit["name"] for unit in identity.organisations.units_under(demo["orgs"]["五华区人社局"])}
        city = {unit["name"] for unit in identity.organisations.units_under(demo["orgs"]["昆明市人社局"])}
        assert "演示单位甲" in wuhua and "演示单位乙" not in wuhua
        assert {"演示单位甲", "演示单位乙"} <= city

    def test_orgs_can_be_searched_by_name(self, identity):
        assert [org["name"] for org in identity.organisations.list_orgs(q="五华")] == ["五华区人社局"]

    def test_a_unit_registers_pending_and_its_district_admin_approves_it(self, identity, actors, demo, make_applicant, fresh):
        registrant = make_applicant()["actor"]
        result = identity.organisations.register_unit(registrant, "新单位" + fresh.phone(), fresh.credit_code(), demo["orgs"]["五华区人社局"])
        assert result["unit"]["status"] == "pending" and result["warnings"] == []
        assert result["unit"]["id"] not in {u["id"] for u in identity.organisations.units_under(demo["orgs"]["五华区人社局"])}
        approved = identity.organisations.approve_unit(actors["wuhua_admin"], result["unit"]["id"])
        assert approved["status"] == "approved"

    def test_a_failing_credit_code_checksum_is_a_warning_the_district_admin_must_confirm(self, identity, actors, demo, fresh):
        result = identity.organisations.register_unit(actors["sysadmin"], "早期单位" + fresh.phone(), fresh.credit_code(valid=False),
                                        demo["orgs"]["五华区人社局"])
        assert "校验位不符" in result["warnings"][0] and result["unit"]["credit_code_checksum_ok"] is False
        with pytest.raises(CreditCodeNeedsConfirmationError):
            identity.organisations.approve_unit(actors["wuhua_admin"], result["unit"]["id"])
        approved = identity.organisations.approve_unit(actors["wuhua_admin"], result["unit"]["id"], confirm_credit_code=True)
        assert approved["credit_code_confirmed"] is True

    def test_another_districts_admin_cannot_approve_the_unit(self, identity, actors, make_unit):
        unit = make_unit(approve=False)
        with pytest.raises(OutOfScopeError):
            identity.organisations.approve_unit(actors["panlong_admin"], unit["id"], confirm_credit_code=True)

    def test_a_credit_code_registers_only_once(self, identity, actors, demo, fresh):
        code = fresh.credit_code()
        identity.organisations.register_unit(actors["sysadmin"], "单位" + fresh.phone(), code, demo["orgs"]["五华区人社局"])
        with pytest.raises(DuplicateCreditCodeError):
            identity.organisations.register_unit(actors["sysadmin"], "单位" + fresh.phone(), code, demo["orgs"]["盘龙区人社局"])

    def test_a_unit_cannot_hang_directly_under_the_city(self, identity, actors, demo, fresh):
        with pytest.raises(UnsuitableOrganisationError):
            identity.organisations.register_unit(actors["sysadmin"], "单位" + fresh.phone(), fresh.credit_code(), demo["orgs"]["昆明市人社局"])

    def test_a_sysadmin_adds_a_competent_department(self, identity, actors, demo, fresh):
        org = identity.organisations.create_org(actors["sysadmin"], "昆明市测试局" + fresh.phone(), "department", demo["orgs"]["昆明市人社局"])
        assert org["kind_label"] == "市级主管部门"

    def test_only_a_sysadmin_adds_organisations(self, identity, actors, demo):
        with pytest.raises(ActionNotAllowedError):
            identity.organisations.create_org(actors["city_admin"], "昆明市另一局", "department", demo["orgs"]["昆明市人社局"])


class TestMemberships:
    def test_an_applicant_joins_a_unit_once_its_admin_confirms(self, identity, make_applicant, make_unit, actors, demo, fresh):
        applicant, unit = make_applicant(), make_unit()
        admin = identity.roles.create_admin_account(actors["wuhua_admin"], "ua" + fresh.phone(), "单位管理员", PASSWORD,
                                              "unit_admin", unit["id"])
        unit_admin = Actor(admin["id"], "unit_admin", unit["id"])
        membership = identity.memberships.request_membership(applicant["actor"], unit["id"])
        assert membership["status"] == "pending"
        assert identity.sanctions.can_apply(applicant["account"]["id"], 2026)["allowed"] is False
        identity.memberships.confirm_membership(unit_admin, membership["id"])
        members = identity.organisations.unit_members(unit["id"])
        assert [m["account_id"] for m in members] == [applicant["account"]["id"]]
        assert members[0]["id_number_masked"].count("*") == 10
        assert identity.sanctions.can_apply(applicant["account"]["id"], 2026) == {
            "account_id": applicant["account"]["id"], "review_year": 2026, "allowed": True,
            "unit_id": unit["id"], "reasons": []}

    def test_another_units_admin_cannot_confirm(self, identity, make_applicant, actors, demo):
        applicant = make_applicant()
        membership = identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位甲"])
        with pytest.raises(OutOfScopeError):
            identity.memberships.confirm_membership(actors["unit_b_admin"], membership["id"])
        identity.memberships.confirm_membership(actors["unit_a_admin"], membership["id"])

    def test_an_applicant_belongs_to_one_unit_at_a_time(self, identity, make_applicant, demo):
        applicant = make_applicant()
        identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位甲"])
        with pytest.raises(StateConflictError, match="演示单位甲"):
            identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位乙"])

    def test_after_leaving_an_applicant_may_join_another_unit(self, identity, make_applicant, demo):
        applicant = make_applicant()
        membership = identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位甲"])
        identity.memberships.end_membership(applicant["actor"], membership["id"])
        assert identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位乙"])["status"] == "pending"

    def test_a_rejected_request_gives_no_unit(self, identity, make_applicant, actors, demo):
        applicant = make_applicant()
        membership = identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位乙"])
        identity.memberships.reject_membership(actors["unit_b_admin"], membership["id"], "查无此人")
        assert identity.sanctions.can_apply(applicant["account"]["id"], 2026)["reasons"][0]["code"] == "no_confirmed_unit"

    def test_a_unit_not_yet_approved_cannot_be_joined(self, identity, make_applicant, make_unit):
        with pytest.raises(UnsuitableOrganisationError):
            identity.memberships.request_membership(make_applicant()["actor"], make_unit(approve=False)["id"])


class TestRolesAndSeparationOfDuties:
    def test_a_district_admin_appoints_a_unit_admin(self, identity, actors, make_applicant, make_unit):
        person, unit = make_applicant(), make_unit()
        account = identity.roles.grant_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        assert {(r["role"], r["org_id"]) for r in account["roles"]} == {("applicant", None), ("unit_admin", unit["id"])}

    def test_an_applicant_can_never_be_made_admin_of_the_unit_that_recommends_them(
            self, identity, actors, make_applicant, make_unit):
        person, unit = make_applicant(), make_unit()
        identity.memberships.request_membership(person["actor"], unit["id"])
        with pytest.raises(SeparationOfDutiesError, match="职责分离"):
            identity.roles.grant_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        with pytest.raises(SeparationOfDutiesError):
            identity.roles.grant_role(actors["sysadmin"], person["account"]["id"], "unit_admin", unit["id"])

    def test_a_new_admin_account_cannot_administer_its_own_work_unit(self, identity, actors, make_unit, fresh):
        unit = make_unit()
        with pytest.raises(SeparationOfDutiesError):
            identity.roles.create_admin_account(actors["sysadmin"], "x" + fresh.phone(), "某人", PASSWORD, "unit_admin",
                                          unit["id"], work_unit_id=unit["id"])

    def test_a_unit_admin_cannot_join_their_own_unit(self, identity, actors, make_applicant, make_unit):
        person, unit = make_applicant(), make_unit()
        identity.roles.grant_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        with pytest.raises(SeparationOfDutiesError):
            identity.memberships.request_membership(person["actor"], unit["id"])

    def test_a_district_admin_cannot_appoint_in_another_district(self, identity, actors, make_applicant, make_unit):
        unit = make_unit(district="盘龙区人社局")
        with pytest.raises(OutOfScopeError):
            identity.roles.grant_role(actors["wuhua_admin"], make_applicant()["account"]["id"], "unit_admin", unit["id"])

    def test_a_city_admin_creates_a_district_admin_who_can_log_in(self, identity, actors, demo, fresh):
        login_name = "xs" + fresh.phone()
        account = identity.roles.create_admin_account(actors["city_admin"], login_name, "西山区审核员", PASSWORD,
                                                "district_admin", demo["orgs"]["西山区人社局"])
        assert identity.authentication.login(login_name, PASSWORD)["account"]["id"] == account["id"]

    def test_an_actor_claiming_a_role_they_do_not_hold_is_refused(self, identity, make_applicant, demo):
        pretender = make_applicant()
        claimed = Actor(pretender["account"]["id"], "sysadmin", demo["orgs"]["昆明市人社局"])
        with pytest.raises(ActionNotAllowedError, match="没有以“系统管理员”身份"):
            identity.organisations.create_org(claimed, "某局", "department", demo["orgs"]["昆明市人社局"])

    def test_revoking_a_role_makes_tokens_naming_it_stale(self, identity, actors, make_applicant, make_unit):
        person, unit = make_applicant(), make_unit()
        identity.roles.grant_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        tokens = identity.authentication.login(person["phone"], PASSWORD)
        identity.roles.revoke_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        with pytest.raises(TokenRefusedError):
            identity.authentication.authenticate(tokens["access_token"])

    def test_a_unit_admins_scope_is_their_unit_only(self, identity, actors, demo):
        scope = identity.organisations.scope_of(actors["unit_a_admin"])
        assert scope == {"everything": False, "org_ids": [demo["orgs"]["演示单位甲"]]}
        assert not identity.organisations.in_scope(actors["unit_a_admin"], demo["orgs"]["演示单位乙"])

    def test_a_district_admins_scope_covers_its_units(self, identity, actors, demo):
        assert identity.organisations.in_scope(actors["wuhua_admin"], demo["orgs"]["演示单位甲"])
        assert not identity.organisations.in_scope(actors["wuhua_admin"], demo["orgs"]["演示单位乙"])


class TestRoleRequests:
    """A sysadmin manages accounts but gives no review role alone: a second person of the city admin
    office confirms (it used to be granted at once, so a sysadmin could mint a city admin)."""

    def ask_for_city_admin(self, identity, actors, demo, fresh):
        login_name = "ca" + fresh.phone()
        account = identity.roles.create_admin_account(actors["sysadmin"], login_name, "新市级审核员", PASSWORD,
                                                "city_admin", demo["orgs"]["昆明市人社局"])
        return login_name, account

    def entries(self, identity, account_id):
        with identity.session_factory() as session:
            return [(e.action, e.actor_id) for e in session.scalars(
                select(AuditEntry).where(AuditEntry.account_id == account_id).order_by(AuditEntry.id))]

    def test_a_sysadmins_city_admin_account_waits_and_cannot_log_in(self, identity, actors, demo, fresh):
        login_name, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        assert account["status"] == "pending" and account["roles"] == []
        request, = account["pending_role_requests"]
        assert (request["role"], request["kind"], request["status"]) == ("city_admin", "create_account", "pending")
        with pytest.raises(AccountPendingError):
            identity.authentication.login(login_name, PASSWORD)
        assert request["id"] in {r["id"] for r in identity.roles.role_requests(actors["city_admin"])}

    def test_a_city_admin_confirms_and_the_account_then_acts_in_its_role(self, identity, actors, demo, fresh):
        login_name, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        request_id = account["pending_role_requests"][0]["id"]
        decided = identity.roles.confirm_role_request(actors["city_admin"], request_id)
        assert (decided["status"], decided["decided_by"]) == ("confirmed", actors["city_admin"].account_id)
        signed_in = identity.authentication.login(login_name, PASSWORD)
        assert [role["role"] for role in signed_in["account"]["roles"]] == ["city_admin"]
        assert signed_in["account"]["pending_role_requests"] == []

    def test_every_step_is_audited_with_who_did_it(self, identity, actors, demo, fresh):
        _, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        identity.roles.confirm_role_request(actors["city_admin"], account["pending_role_requests"][0]["id"])
        sysadmin, city = actors["sysadmin"].account_id, actors["city_admin"].account_id
        assert self.entries(identity, account["id"]) == [
            ("account_created", sysadmin), ("role_requested", sysadmin), ("role_granted", city),
            ("role_request_confirmed", city)]

    def test_a_sysadmin_cannot_confirm_any_request(self, identity, actors, demo, fresh):
        _, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        with pytest.raises(ActionNotAllowedError):
            identity.roles.confirm_role_request(actors["sysadmin"], account["pending_role_requests"][0]["id"])

    def test_the_requester_cannot_confirm_their_own_request_even_as_a_city_admin(self, identity, actors, demo,
                                                                                 fresh):
        both = identity.roles.create_admin_account(actors["city_admin"], "both" + fresh.phone(), "兼任", PASSWORD,
                                             "district_admin", demo["orgs"]["西山区人社局"])
        with identity.session_factory.begin() as session:
            session.add(RoleGrant(account_id=both["id"], role="sysadmin", org_id=demo["orgs"]["昆明市人社局"]))
            session.add(RoleGrant(account_id=both["id"], role="city_admin", org_id=demo["orgs"]["昆明市人社局"]))
        as_sysadmin = Actor(both["id"], "sysadmin", demo["orgs"]["昆明市人社局"])
        as_city = Actor(both["id"], "city_admin", demo["orgs"]["昆明市人社局"])
        asked = identity.roles.create_admin_account(as_sysadmin, "aud" + fresh.phone(), "审计", PASSWORD, "auditor",
                                              demo["orgs"]["昆明市人社局"])
        with pytest.raises(SeparationOfDutiesError):
            identity.roles.confirm_role_request(as_city, asked["pending_role_requests"][0]["id"])

    def test_a_refused_request_grants_nothing_and_the_account_stays_unusable(self, identity, actors, demo, fresh):
        login_name, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        request_id = account["pending_role_requests"][0]["id"]
        refused = identity.roles.refuse_role_request(actors["city_admin"], request_id, "未经审批")
        assert (refused["status"], refused["reason"]) == ("refused", "未经审批")
        with pytest.raises(AccountDisabledError):
            identity.authentication.login(login_name, PASSWORD)
        with pytest.raises(StateConflictError):
            identity.roles.confirm_role_request(actors["city_admin"], request_id)

    def test_a_sysadmin_cannot_enable_a_waiting_account_to_skip_the_confirmation(self, identity, actors, demo,
                                                                                 fresh):
        _, account = self.ask_for_city_admin(identity, actors, demo, fresh)
        with pytest.raises(StateConflictError, match="尚待市人社局审核员确认"):
            identity.accounts.enable_account(actors["sysadmin"], account["id"])

    def test_a_sysadmins_grant_of_a_review_role_to_an_existing_account_waits_too(
            self, identity, actors, make_applicant, make_unit):
        person, unit = make_applicant(), make_unit()
        account = identity.roles.grant_role(actors["sysadmin"], person["account"]["id"], "unit_admin", unit["id"])
        assert [role["role"] for role in account["roles"]] == ["applicant"]
        request, = account["pending_role_requests"]
        identity.roles.confirm_role_request(actors["city_admin"], request["id"])
        roles = {role["role"] for role in identity.accounts.get_account(person["account"]["id"])["roles"]}
        assert roles == {"applicant", "unit_admin"}

    def test_city_and_district_admins_still_appoint_directly(self, identity, actors, demo, fresh, make_applicant,
                                                            make_unit):
        district = identity.roles.create_admin_account(actors["city_admin"], "xs" + fresh.phone(), "西山区审核员",
                                                 PASSWORD, "district_admin", demo["orgs"]["西山区人社局"])
        assert district["status"] == "active" and district["pending_role_requests"] == []
        person, unit = make_applicant(), make_unit()
        account = identity.roles.grant_role(actors["wuhua_admin"], person["account"]["id"], "unit_admin", unit["id"])
        assert "unit_admin" in {role["role"] for role in account["roles"]}

    def test_a_sysadmin_still_appoints_another_sysadmin_alone(self, identity, actors, demo, fresh):
        account = identity.roles.create_admin_account(actors["sysadmin"], "sys" + fresh.phone(), "系统管理员二",
                                                PASSWORD, "sysadmin", demo["orgs"]["昆明市人社局"])
        assert account["status"] == "active" and [r["role"] for r in account["roles"]] == ["sysadmin"]


class TestSanctionsAndApplying:
    def confirmed_applicant(self, identity, make_applicant, actors, demo):
        applicant = make_applicant()
        membership = identity.memberships.request_membership(applicant["actor"], demo["orgs"]["演示单位甲"])
        identity.memberships.confirm_membership(actors["unit_a_admin"], membership["id"])
        return applicant

    def test_a_fraud_sanction_bars_applying_for_the_years_it_is_given(self, identity, make_applicant, actors, demo):
        """The bar comes with the sanction (the policy of the year the fraud was found in): 3 here."""
        applicant = self.confirmed_applicant(identity, make_applicant, actors, demo)
        sanction = identity.sanctions.record_sanction(actors["city_admin"], applicant["account"]["id"], "fraud",
                                            "伪造业绩材料", date(2026, 4, 1), 3, reference="dossier-1")
        assert sanction["bars_until"] == date(2029, 4, 1)
        answer = identity.sanctions.can_apply(applicant["account"]["id"], 2027, on=date(2027, 5, 1))
        assert answer["allowed"] is False
        assert answer["reasons"] == [{"code": "sanctioned", "message": "因弄虚作假受到处理，2029-04-01 前不得申报职称"}]
        assert identity.sanctions.can_apply(applicant["account"]["id"], 2029, on=date(2029, 4, 1))["allowed"] is True

    def test_the_review_service_may_record_a_sanction_as_the_system(self, identity, make_applicant):
        applicant = make_applicant()
        system = Actor("review", "system", None)
        identity.sanctions.record_sanction(system, applicant["account"]["id"], "fraud", "异议成立", date(2026, 1, 1), 3)
        assert len(identity.sanctions.sanctions_of(applicant["account"]["id"])) == 1

    def test_another_bar_length_gives_its_own_end_date_and_one_reference_records_once(self, identity, make_applicant):
        applicant = make_applicant()
        system = Actor("certificate", "system", None)
        first = identity.sanctions.record_sanction(system, applicant["account"]["id"], "fraud", "撤销职称",
                                                   date(2024, 2, 29), 5, reference="title_revoked:d-1")
        again = identity.sanctions.record_sanction(system, applicant["account"]["id"], "fraud", "撤销职称",
                                                   date(2024, 2, 29), 5, reference="title_revoked:d-1")
        assert first["bars_until"] == date(2029, 3, 1) and again["id"] == first["id"]
        assert len(identity.sanctions.sanctions_of(applicant["account"]["id"])) == 1
        # can_apply reads the end date recorded, not a number of its own.
        assert identity.sanctions.can_apply(applicant["account"]["id"], 2029, on=date(2029, 2, 28))["allowed"] is False

    def test_a_unit_admin_cannot_record_sanctions(self, identity, make_applicant, actors):
        with pytest.raises(ActionNotAllowedError):
            identity.sanctions.record_sanction(actors["unit_a_admin"], make_applicant()["account"]["id"], "fraud", "x",
                                     date(2026, 1, 1), 3)

    def test_every_reason_is_listed_for_a_disabled_sanctioned_account_without_a_unit(
            self, identity, make_applicant, actors):
        applicant = make_applicant()
        identity.sanctions.record_sanction(actors["city_admin"], applicant["account"]["id"], "fraud", "x", date(2026, 1, 1), 3)
        identity.accounts.disable_account(actors["sysadmin"], applicant["account"]["id"])
        codes = [r["code"] for r in identity.sanctions.can_apply(applicant["account"]["id"], 2026, on=date(2026, 6, 1))["reasons"]]
        assert codes == ["account_disabled", "no_confirmed_unit", "sanctioned"]

    def test_applying_for_a_unit_one_is_not_confirmed_in_is_refused(self, identity, make_applicant, actors, demo):
        applicant = self.confirmed_applicant(identity, make_applicant, actors, demo)
        answer = identity.sanctions.can_apply(applicant["account"]["id"], 2026, unit_id=demo["orgs"]["演示单位乙"])
        assert [r["code"] for r in answer["reasons"]] == ["not_unit_member"]

    def test_an_administrator_account_is_not_an_applicant(self, identity, demo):
        codes = [r["code"] for r in identity.sanctions.can_apply(demo["accounts"]["city_admin"], 2026)["reasons"]]
        assert "not_applicant" in codes


class TestAuditAndSeed:
    def test_the_auditor_reads_the_identity_audit_log(self, identity, actors, make_applicant):
        applicant = make_applicant()
        identity.authentication.login(applicant["phone"], PASSWORD, source_address="192.0.2.1")
        entries = identity.operations.audit_log(actors["auditor"], account_id=applicant["account"]["id"], action="login")
        assert [(e["outcome"], e["source_address"]) for e in entries] == [("success", "192.0.2.1")]

    def test_an_applicant_cannot_read_the_audit_log(self, identity, make_applicant):
        with pytest.raises(ActionNotAllowedError):
            identity.operations.audit_log(make_applicant()["actor"])

    def test_seeding_twice_changes_nothing(self, identity, demo):
        def counts():
            with identity.session_factory() as session:
                return (session.scalar(select(func.count()).select_from(Organisation)),
                        session.scalar(select(func.count()).select_from(Account).where(Account.login_name.is_not(None))))

        before = counts()
        with identity.session_factory.begin() as session:
            again = seed_demo(session, identity.hasher, DEMO_PASSWORD)
        assert again == demo["accounts"] and counts() == before

    def test_the_demo_accounts_log_in_with_the_demo_password(self, identity, demo):
        usernames = ["sysadmin", "wuhua_admin", "unit_a_admin", "eng_secretary", "expert15", "auditor", "13900000001"]
        assert {username: signed_in_account(identity, username, DEMO_PASSWORD) for username in usernames} == {
            username: demo["accounts"][username] for username in usernames}

    def test_experts_are_spread_over_several_units(self, identity, demo):
        units = {identity.accounts.get_account(demo["accounts"][f"expert{n:02d}"])["membership"]["unit_name"]
                 for n in range(1, 16)}
        assert len(units) >= 3
