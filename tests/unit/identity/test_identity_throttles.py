"""Login and reset throttles over in-memory counters: back-off per address and per name+address,
never a lock on the account, and the same treatment for every name whether it exists or not."""
from datetime import datetime, timedelta, timezone

import pytest

from services.identity.counters import MemoryCounters
from services.identity.exceptions import ResetRequestedTooSoonError, TooManyAttemptsError
from services.identity.throttles import BackOff, ThrottlePolicy, Throttles, wait_text


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttles(clock):
    return Throttles(ThrottlePolicy(), MemoryCounters(), clock)


def fail(throttles, name, address, times):
    for _ in range(times):
        throttles.check_login(name, address)
        throttles.login_failed(name, address)


def assert_may_try(throttles, name, address):
    """The login throttle lets *name* try from *address* now: check_login raises nothing."""
    try:
        throttles.check_login(name, address)
    except TooManyAttemptsError as refused:
        raise AssertionError(f"{name} from {address} must still wait {refused.retry_after}s") from None


class TestBackOff:
    def test_free_failures_cost_nothing_then_the_wait_doubles_up_to_the_cap(self):
        backoff = BackOff(free=5, base_seconds=60, cap_seconds=900)
        assert [backoff.delay(n) for n in range(1, 10)] == [0, 0, 0, 0, 60, 120, 240, 480, 900]

    def test_a_huge_count_stays_at_the_cap(self):
        assert BackOff(free=1, cap_seconds=3600).delay(10_000) == 3600

    def test_waits_are_said_in_seconds_or_minutes(self):
        assert wait_text(45) == "45 秒" and wait_text(600) == "约 10 分钟"


class TestLoginThrottle:
    def test_five_failures_of_one_name_from_one_address_make_that_address_wait(self, throttles):
        fail(throttles, "phone:13900000001", "198.51.100.7", 5)
        with pytest.raises(TooManyAttemptsError) as refused:
            throttles.check_login("phone:13900000001", "198.51.100.7")
        assert refused.value.http_status == 429 and refused.value.retry_after == 60
        assert "登录失败次数过多" in refused.value.message

    def test_the_same_name_from_another_address_is_not_slowed(self, throttles):
        fail(throttles, "login_name:city_admin", "198.51.100.7", 5)
        with pytest.raises(TooManyAttemptsError):
            throttles.check_login("login_name:city_admin", "198.51.100.7")
        assert_may_try(throttles, "login_name:city_admin", "203.0.113.9")

    def test_the_wait_ends_by_itself(self, throttles, clock):
        fail(throttles, "phone:13900000001", "198.51.100.7", 5)
        clock.advance(seconds=61)
        assert_may_try(throttles, "phone:13900000001", "198.51.100.7")

    def test_each_failure_after_the_wait_doubles_it(self, throttles, clock):
        fail(throttles, "phone:13900000001", "198.51.100.7", 5)
        clock.advance(seconds=61)
        fail(throttles, "phone:13900000001", "198.51.100.7", 1)
        with pytest.raises(TooManyAttemptsError) as refused:
            throttles.check_login("phone:13900000001", "198.51.100.7")
        assert refused.value.retry_after == 120

    def test_many_names_from_one_address_make_the_address_wait_for_every_name(self, throttles):
        for number in range(30):
            fail(throttles, f"login_name:nobody{number}", "198.51.100.7", 1)
        with pytest.raises(TooManyAttemptsError):
            throttles.check_login("login_name:someone_else", "198.51.100.7")
        assert_may_try(throttles, "login_name:someone_else", "203.0.113.9")

    def test_a_success_forgets_that_pairs_failures(self, throttles):
        fail(throttles, "phone:13900000001", "198.51.100.7", 4)
        throttles.login_succeeded("phone:13900000001", "198.51.100.7")
        fail(throttles, "phone:13900000001", "198.51.100.7", 4)
        assert_may_try(throttles, "phone:13900000001", "198.51.100.7")

    def test_an_unlock_forgets_the_names_failures_from_every_address(self, throttles):
        for address in ("198.51.100.7", "198.51.100.8"):
            fail(throttles, "phone:13900000001", address, 5)
        throttles.forget_login_failures("phone:13900000001")
        for address in ("198.51.100.7", "198.51.100.8"):
            assert_may_try(throttles, "phone:13900000001", address)


class TestResetThrottle:
    def test_any_phone_waits_the_resend_interval_registered_or_not(self, throttles, clock):
        throttles.check_reset_request("13900000099", "198.51.100.7", 60)
        with pytest.raises(ResetRequestedTooSoonError) as refused:
            throttles.check_reset_request("13900000099", "203.0.113.9", 60)
        assert refused.value.http_status == 429 and refused.value.retry_after == 60
        clock.advance(seconds=60)
        throttles.check_reset_request("13900000099", "203.0.113.9", 60)

    def test_one_address_asks_for_a_few_codes_an_hour(self, throttles):
        for number in range(10):
            throttles.check_reset_request(f"139000001{number:02d}", "198.51.100.7", 60)
        with pytest.raises(TooManyAttemptsError):
            throttles.check_reset_request("13900000199", "198.51.100.7", 60)

    def test_wrong_codes_from_one_address_make_it_wait(self, throttles):
        for _ in range(10):
            throttles.check_reset_confirm("198.51.100.7")
            throttles.reset_code_failed("198.51.100.7")
        with pytest.raises(TooManyAttemptsError):
            throttles.check_reset_confirm("198.51.100.7")
        throttles.check_reset_confirm("203.0.113.9")


class TestTooManyAttemptsOverRpc:
    def test_the_wait_survives_the_trip_as_nameko_rebuilds_the_error(self):
        from nameko.exceptions import deserialize, serialize

        error = deserialize(serialize(TooManyAttemptsError("请 60 秒后再试", retry_after=60)))
        assert isinstance(error, TooManyAttemptsError) and error.retry_after == 60 and error.message == "请 60 秒后再试"
