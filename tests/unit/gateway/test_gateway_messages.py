"""The message centre at the gateway, without I/O: queries and bodies checked with the notification
contract's schemas before any call, the kinds a required SMS cannot be turned off, links kept on this
site, the header's unread count that a failing service only hides, and the three pages rendered from
the service's answer shapes."""
import re

import pytest

from gateway.auth import Principal
from gateway.compose.messages import (
    LOCKED, UnreadBadge, delivery_query, inbox_query, local_link, mark_read_request, preference_actor,
    preference_roles, preferences_from_form, preferences_request, retry_request,
)
from gateway.pages.base import nav_links
from gateway.pages.messages import back_to_list, message_rows
from gateway.pages.renderer import PageRenderer
from gateway.pages.review_views import paging, query_string
from shared.contracts.notification import DELIVERY_STATES, FAILED, HELD, KIND_LABELS, PENDING, REQUIRED_KINDS
from shared.errors import PermissionDenied, ValidationFailed
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN

RENDERER = PageRenderer()
APPLICANT_ME = Principal(account_id="a-1", name="王芳", roles=((APPLICANT, None),))
BOTH = Principal(account_id="a-2", name="李雷", roles=((UNIT_ADMIN, "u-1"), (APPLICANT, None)))
DISTRICT = Principal(account_id="d-1", name="区审核员", roles=((DISTRICT_ADMIN, "d"),))
CITY = Principal(account_id="c-1", name="市审核员", roles=((CITY_ADMIN, "city"),))
AUDIT = Principal(account_id="x-1", name="审计员", roles=((AUDITOR, "city"),))
OPTIONAL = next(kind for kind in KIND_LABELS if kind not in REQUIRED_KINDS and kind != "membership_requested")


def fields_of(error):
    return error.value.fields


class TestQueries:
    def test_the_inbox_query_takes_text_as_typed_and_fills_defaults(self):
        assert inbox_query({}) == {"page": 1, "per_page": 20, "unread_only": False}
        assert inbox_query({"page": "3", "per_page": "50", "unread_only": "true", "role": "x"}) == {
            "page": 3, "per_page": 50, "unread_only": True}

    @pytest.mark.parametrize("args, field", [
        ({"page": "0"}, "page"), ({"page": "abc"}, "page"), ({"per_page": "101"}, "per_page"),
        ({"per_page": "9" * 400}, "per_page"), ({"unread_only": "maybe"}, "unread_only"),
    ])
    def test_a_bad_inbox_query_names_its_field_in_chinese(self, args, field):
        with pytest.raises(ValidationFailed) as error:
            inbox_query(args)
        assert field in fields_of(error) and re.search(r"[\u4e00-\u9fff]", fields_of(error)[field][0])

    def test_the_delivery_query_knows_the_delivery_states(self):
        assert delivery_query({"status": FAILED}) == {"status": FAILED, "page": 1, "per_page": 50}
        assert delivery_query({})["status"] is None
        with pytest.raises(ValidationFailed) as error:
            delivery_query({"status": "lost"})
        assert "status" in fields_of(error)


class TestMarkRead:
    def test_ids_are_kept_once_in_order_and_all_wins(self):
        assert mark_read_request({"message_ids": ["b", "a", "b"]}) == {"message_ids": ["b", "a"]}
        assert mark_read_request({"all": True, "message_ids": ["a"]}) == {"all": True}

    @pytest.mark.parametrize("body, field", [
        ({}, "message_ids"), ({"message_ids": []}, "message_ids"), ({"all": False}, "message_ids"),
        ({"message_ids": ["x" * 37]}, "message_ids"), ({"message_ids": ["a\x00b"]}, "message_ids"),
        ({"message_ids": [f"m{i}" for i in range(201)]}, "message_ids"), ({"message_ids": "abc"}, "message_ids"),
        ({"all": "yes please"}, "all"), ({"everything": True}, "everything"),
    ])
    def test_a_bad_request_is_refused_naming_the_field(self, body, field):
        with pytest.raises(ValidationFailed) as error:
            mark_read_request(body)
        assert field in fields_of(error)


class TestPreferences:
    def test_optional_kinds_may_be_turned_off_and_required_ones_on(self):
        required = REQUIRED_KINDS[0]
        assert preferences_request({"sms": {OPTIONAL: False, required: True}}) == {"sms": {OPTIONAL: False, required: True}}

    def test_a_required_kind_cannot_be_turned_off_and_is_named(self):
        with pytest.raises(ValidationFailed) as error:
            preferences_request({"sms": {"dossier_returned": False, OPTIONAL: False}})
        assert fields_of(error) == {"sms": {"dossier_returned": [LOCKED]}}
        assert "不能关闭" in error.value.message

    @pytest.mark.parametrize("body", [{}, {"sms": {"no_such_kind": True}}, {"sms": {OPTIONAL: "maybe"}}, {"sms": []},
                                      {"sms": {OPTIONAL: True}, "email": {}}])
    def test_a_malformed_body_is_refused(self, body):
        with pytest.raises(ValidationFailed):
            preferences_request(body)

    def test_the_form_sends_every_optional_kind_it_showed(self):
        form = {f"sms-{OPTIONAL}": "on"}
        assert preferences_from_form(form, [OPTIONAL, "fee_paid"]) == {"sms": {OPTIONAL: True, "fee_paid": False}}

    def test_a_person_sets_the_preferences_of_a_role_they_hold_that_receives_messages(self):
        assert preference_roles(BOTH) == (APPLICANT, UNIT_ADMIN)
        assert preference_actor(BOTH).role == APPLICANT
        assert preference_actor(BOTH, UNIT_ADMIN).org_id == "u-1"
        assert preference_roles(DISTRICT) == () and preference_actor(DISTRICT).role == DISTRICT_ADMIN
        with pytest.raises(PermissionDenied):
            preference_actor(APPLICANT_ME, UNIT_ADMIN)
        with pytest.raises(ValidationFailed):
            preference_actor(BOTH, AUDITOR)


def test_a_retry_names_one_delivery():
    assert retry_request("d-1") == {"delivery_id": "d-1"}
    with pytest.raises(ValidationFailed):
        retry_request("x" * 37)


@pytest.mark.parametrize("link, kept", [
    ("/dossiers/abc", "/dossiers/abc"), ("/messages", "/messages"), ("//evil.example/x", None),
    ("https://evil.example/", None), ("javascript:alert(1)", None), ("/\\evil", None), (None, None), (5, None),
])
def test_a_message_links_only_to_this_site(link, kept):
    assert local_link(link) == kept


def test_marking_read_returns_to_the_page_and_filter_shown():
    assert back_to_list({"page": "2", "unread_only": "1"}) == "/messages?page=2&unread_only=1"
    assert back_to_list({"page": "2\r\nX: y"}) == "/messages"


# -- the header's unread count ---------------------------------------------------------------------

class Reply:
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.waited = answer, error, None

    def result(self, within=None):
        self.waited = within
        if self.error:
            raise self.error
        return self.answer


class FakeNotification:
    def __init__(self, reply):
        self.reply, self.calls = reply, []
        outer = self

        class Method:
            def call_async(self, actor):
                outer.calls.append(actor)
                return outer.reply

        self.unread_count = Method()


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_the_count_is_one_short_call_for_the_person():
    reply = Reply({"unread": 3})
    notification, badge = FakeNotification(reply), UnreadBadge(wait_seconds=0.5)
    assert badge.count(notification, APPLICANT_ME) == 3
    assert notification.calls == [{"account_id": "a-1", "role": APPLICANT, "org_id": None}] and reply.waited == 0.5


def test_nobody_signed_in_costs_no_call():
    notification = FakeNotification(Reply({"unread": 1}))
    assert UnreadBadge().count(notification, None) is None
    assert UnreadBadge().count(notification, Principal(account_id="n", name="无角色", roles=())) is None
    assert notification.calls == []


def test_a_failing_service_hides_the_badge_then_is_left_alone_for_a_while():
    clock = Clock()
    notification = FakeNotification(Reply(error=TimeoutError("slow")))
    badge = UnreadBadge(rest_seconds=15, clock=clock)
    assert badge.count(notification, APPLICANT_ME) is None
    assert badge.count(notification, APPLICANT_ME) is None
    assert len(notification.calls) == 1  # the second page did not wait on it again
    clock.now += 16
    notification.reply = Reply({"unread": 2})
    assert badge.count(notification, APPLICANT_ME) == 2


# -- the pages -------------------------------------------------------------------------------------

def render(template, me=APPLICANT_ME, **context):
    base = {"me": me, "nav": nav_links(me), "csrf_token": "tok", "csrf_field": "csrf_token", "flash": None,
            "path": "/"}
    return RENDERER.render(template, **{**base, **context})


def message(number, read=False, link="/dossiers/d-1", body="退回原因:请补充继续教育证明"):
    return {"message_id": f"m-{number}", "kind": "dossier_returned", "kind_label": KIND_LABELS["dossier_returned"],
            "title": "申报材料被退回修改", "body": body, "link": link, "dossier_id": "d-1",
            "created_at": "2026-05-06T02:00:00+00:00", "read_at": "2026-05-06T03:00:00+00:00" if read else None}


def messages_page(items, unread_only=False, total=None):
    listing = {"items": items, "total": len(items) if total is None else total,
               "unread": sum(1 for item in items if not item["read_at"]), "page": 1, "per_page": 20}
    return render("messages.html", listing=listing, rows=message_rows(items), pager=paging(listing["total"], 1, 20),
                  keep={}, unread_only=unread_only, query_string=query_string, unread_badge=listing["unread"])


class TestHeader:
    def test_the_badge_shows_the_unread_count_for_whoever_is_signed_in(self):
        html = render("error.html", status_code=404, error={"message": "x"}, unread_badge=4)
        assert re.search(r'<a href="/messages" id="nav-messages"[^>]*>消息<span class="unread-count" id="unread-count"> \(4\)</span></a>', html)

    @pytest.mark.parametrize("count", [None, 0])
    def test_without_a_count_the_link_stays_without_a_badge(self, count):
        html = render("error.html", status_code=404, error={"message": "x"}, unread_badge=count)
        assert 'id="nav-messages"' in html and 'id="unread-count"' not in html

    def test_signed_out_there_is_no_message_link(self):
        html = render("error.html", me=None, status_code=404, error={"message": "x"}, unread_badge=None)
        assert 'id="nav-messages"' not in html

    def test_the_delivery_monitor_is_in_the_menu_of_the_city_office_and_auditors_only(self):
        assert ("/admin/notifications", "消息发送") in nav_links(CITY) and ("/admin/notifications", "消息发送") in nav_links(AUDIT)
        assert ("/admin/notifications", "消息发送") not in nav_links(APPLICANT_ME)


class TestMessagesPage:
    def test_unread_messages_are_highlighted_with_their_own_buttons(self):
        html = messages_page([message(1), message(2, read=True)])
        assert re.search(r'<li class="message unread" id="message-m-1"', html)
        assert re.search(r'<li class="message" id="message-m-2"', html)
        assert 'id="read-m-1"' in html and 'id="read-m-2"' not in html
        assert 'id="open-m-1"' in html and 'value="/dossiers/d-1"' in html
        assert 'id="read-all"' in html and "请补充继续教育证明" in html

    def test_a_link_elsewhere_is_not_offered(self):
        html = messages_page([message(1, link="https://evil.example/")])
        assert 'id="open-m-1"' not in html and "evil.example" not in html

    def test_what_a_message_says_is_escaped(self):
        html = messages_page([message(1, body="<script>alert(1)</script>")])
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html

    def test_no_messages_no_read_all(self):
        html = messages_page([])
        assert 'id="no-messages"' in html and 'id="read-all"' not in html


def preference(kind, enabled=True):
    return {"kind": kind, "label": KIND_LABELS[kind], "sms_enabled": enabled, "required": kind in REQUIRED_KINDS}


class TestPreferencesPage:
    def test_required_kinds_are_ticked_disabled_and_say_why(self):
        groups = [{"role": APPLICANT, "role_label": "申报人",
                   "items": [preference("dossier_returned", enabled=False), preference(OPTIONAL, enabled=False)]}]
        html = render("notification_preferences.html", groups=groups, locked_text=LOCKED)
        assert re.search(r'id="sms-applicant-dossier_returned" name="sms-dossier_returned" checked disabled', html)
        assert "流程必需,不能关闭" in html
        assert re.search(rf'id="sms-applicant-{OPTIONAL}" name="sms-{OPTIONAL}">', html)  # off, and may be changed
        assert f'name="kind" value="{OPTIONAL}"' in html and 'name="kind" value="dossier_returned"' not in html

    def test_a_person_without_such_a_role_is_told_so(self):
        html = render("notification_preferences.html", me=DISTRICT, groups=[], locked_text=LOCKED)
        assert 'id="no-preferences"' in html


def delivery(number, status):
    return {"delivery_id": f"d-{number}", "channel": "sms", "kind": "fee_due", "kind_label": KIND_LABELS["fee_due"],
            "recipient_masked": "138****0001", "status": status, "attempts": 3, "next_attempt_at": None,
            "last_error": "网关超时" if status == FAILED else None, "created_at": "2026-05-06T02:00:00+00:00",
            "sent_at": None}


def deliveries_page(can_retry, items):
    counts = {state: sum(1 for item in items if item["status"] == state) for state in DELIVERY_STATES}
    return render("deliveries_admin.html", me=CITY if can_retry else AUDIT,
                  listing={"items": items, "total": len(items), "counts": counts}, states=DELIVERY_STATES,
                  channels={"sms": "短信", "in_app": "站内消息"}, current=None, total=len(items), can_retry=can_retry,
                  FAILED=FAILED, PENDING=PENDING, HELD=HELD, keep={}, pager=paging(len(items), 1, 50), query_string=query_string)


class TestDeliveriesPage:
    def test_the_city_office_may_send_a_failed_one_again(self):
        html = deliveries_page(True, [delivery(1, FAILED), delivery(2, PENDING)])
        assert 'id="retry-d-1"' in html and 'id="retry-d-2"' not in html
        assert "138****0001" in html and "网关超时" in html
        assert re.search(r'id="count-failed"><span>发送失败</span><strong>1</strong>', html)

    def test_the_next_attempt_is_named_only_while_one_is_due(self):
        waiting = {**delivery(2, PENDING), "next_attempt_at": "2026-05-06T03:00:00+00:00"}
        held = {**delivery(3, HELD), "next_attempt_at": "2026-05-07T00:00:00+00:00"}
        given_up = {**delivery(1, FAILED), "next_attempt_at": "2026-05-06T02:30:00+00:00"}
        html = deliveries_page(True, [given_up, waiting, held])
        assert "下次尝试 2026-05-06 11:00" in html and "下次尝试 2026-05-07 08:00" in html
        assert "下次尝试 2026-05-06 10:30" not in html

    def test_an_auditor_reads_without_a_retry_button(self):
        html = deliveries_page(False, [delivery(1, FAILED)])
        assert "重新发送" not in html and "网关超时" in html
