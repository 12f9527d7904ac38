"""Small gateway pieces behind fees and certificates: the caller's address behind proxies, the
verification rate limit, amounts typed in yuan, and the composed view's payment part."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.compose.dossier_view import UNAVAILABLE, payment_view
from gateway.exceptions import TooManyRequests
from gateway.pages.payments import fen_from_yuan
from gateway.ratelimit import SlidingWindowLimit
from gateway.web import client_address


def request(forwarded=None, peer="10.0.0.9"):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return Request(EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())


class TestClientAddress:
    def test_without_trusted_proxies_the_header_is_ignored(self):
        assert client_address(request("198.51.100.1"), hops=0) == "10.0.0.9"

    def test_behind_one_proxy_the_entry_it_appended_counts_not_what_the_client_forged(self):
        assert client_address(request("1.2.3.4, 198.51.100.1"), hops=1) == "198.51.100.1"

    def test_behind_two_proxies_the_second_from_the_right(self):
        assert client_address(request("1.2.3.4, 198.51.100.1, 10.1.1.1"), hops=2) == "198.51.100.1"

    def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_peer(self):
        assert client_address(request("198.51.100.1"), hops=2) == "10.0.0.9"
        assert client_address(request(), hops=1) == "10.0.0.9"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class TestSlidingWindowLimit:
    def test_the_call_over_the_limit_is_refused_with_the_wait_and_not_counted(self):
        clock = FakeClock()
        limit = SlidingWindowLimit(3, 60, clock=clock)
        for _ in range(3):
            limit.check("a")
        clock.now += 20
        with pytest.raises(TooManyRequests) as refused:
            limit.check("a")
        assert refused.value.http_status == 429 and refused.value.retry_after == 41
        clock.now += 40.5  # the first three calls leave the window together
        for _ in range(3):
            limit.check("a")

    def test_each_caller_has_their_own_window(self):
        limit = SlidingWindowLimit(1, 60, clock=FakeClock())
        limit.check("a")
        limit.check("b")
        with pytest.raises(TooManyRequests):
            limit.check("a")

    def test_idle_callers_are_forgotten_when_there_are_too_many(self):
        clock = FakeClock()
        limit = SlidingWindowLimit(1, 60, clock=clock, max_keys=2)
        limit.check("a")
        limit.check("b")
        clock.now += 61
        limit.check("c")
        assert set(limit._hits) == {"c"}


@pytest.mark.parametrize("text, fen", [("160", 16000), ("160.5", 16050), ("160.05", 16005), (" 0 ", 0),
                                       ("1,000", None), ("-5", None), ("1.234", None), ("一百", None), ("", None),
                                       ("1.", 100), (".5", None)])
def test_amounts_in_yuan(text, fen):
    assert fen_from_yuan(text) == fen


def test_the_payment_part_of_the_composed_view():
    assert payment_view([]) is None and payment_view(None) is None
    assert payment_view(UNAVAILABLE) is UNAVAILABLE
    orders = [{"status": "expired"}, {"status": "refunded"}]
    assert payment_view(orders) == {"orders": orders, "paid": True}
    assert payment_view([{"status": "pending"}])["paid"] is False
