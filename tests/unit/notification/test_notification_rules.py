"""The notification service's rules without I/O: every kind has its texts, every SMS is signed, the
quiet hours and their end at every hour of the Beijing day, back-off, masking, and what each dossier
event says (with fakes that subclass the real ports)."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from services.notification import compose
from services.notification import templates as t
from services.notification.delivery import RetryPolicy, in_quiet_hours, queued_row, quiet_hours_end
from services.notification.handlers import DOSSIER_EVENTS, TAKE_BACK
from services.notification.ports import YearFacts
from services.notification.privacy import PhoneMaskingFilter, mask_phone, masked_phones
from services.notification.recipients import Directory, Person
from services.notification.reminders import rules_from_config
from services.notification.senders import HttpSmsSender, OutboxSender, sender_from_config
from shared.clock import BEIJING
from shared.contracts import dossier as st
from shared.contracts.notification import CODE_TEMPLATES, HELD, KINDS, PENDING
from shared.schemas import dump

DAY = date(2026, 6, 10)


def at_beijing(hour, minute=0, day=DAY):
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING).astimezone(timezone.utc)


class TestTemplates:
    def test_every_kind_of_the_contract_has_a_title_a_body_and_a_signed_sms(self):
        assert set(t.TEMPLATES) == set(KINDS)
        for kind, template in t.TEMPLATES.items():
            assert template.sms.startswith("【{sign}】"), kind
            assert template.title and template.body, kind

    def test_identitys_code_templates_are_here_with_the_same_wording(self):
        assert set(t.CODE_TEMPLATES) == set(CODE_TEMPLATES) == set(t.CODE_LABELS)
        text = t.render_code("password_reset_code", {"code": "123456", "minutes": 10}, "昆明人社")
        assert text == "【昆明人社】您正在重置职称申报系统登录密码，验证码 123456，10 分钟内有效。如非本人操作请忽略。"

    def test_a_missing_placeholder_fails_loudly(self):
        with pytest.raises(KeyError):
            t.render("fee_due", {"subject": "x"})


class TestQuietHours:
    @pytest.mark.parametrize("hour", range(24))
    def test_quiet_from_ten_at_night_until_eight_in_the_morning_beijing(self, hour):
        moment = at_beijing(hour, 30)
        assert in_quiet_hours(moment) == (hour >= 22 or hour < 8)
        end = quiet_hours_end(moment)
        if in_quiet_hours(moment):
            next_morning = DAY + timedelta(days=1) if hour >= 22 else DAY
            assert end == at_beijing(8, 0, next_morning)
        else:
            assert end == moment

    def test_the_edges(self):
        assert in_quiet_hours(at_beijing(22, 0)) and not in_quiet_hours(at_beijing(21, 59))
        assert in_quiet_hours(at_beijing(7, 59)) and not in_quiet_hours(at_beijing(8, 0))

    def test_a_new_sms_is_held_at_night_but_a_code_is_not(self):
        night = at_beijing(23, 0)
        common = {"event_key": "k", "recipient_id": "r", "kind": "fee_due", "phone": "13812345678", "template": "fee_due",
                  "params": {}, "body": "b", "now": night}
        held = queued_row(**common)
        assert (held["status"], held["next_attempt_at"]) == (HELD, at_beijing(8, 0, DAY + timedelta(days=1)))
        code = queued_row(**common, urgent=True)
        assert (code["status"], code["next_attempt_at"]) == (PENDING, night)


def test_back_off_doubles_up_to_its_cap():
    policy = RetryPolicy(base_seconds=30, cap_seconds=300, max_attempts=8)
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert RetryPolicy.from_config({"DELIVERY": {"retry_base_seconds": 2, "max_attempts": 0}}) == RetryPolicy(2, 3600, 1)


class TestMasking:
    def test_a_phone_is_masked_keeping_the_first_three_and_last_four_digits(self):
        assert mask_phone("13812341234") == "138****1234"
        assert mask_phone(None) is None and mask_phone("12") == "****"

    def test_numbers_inside_a_text_are_masked_and_other_digits_kept(self):
        assert masked_phones("发往 13812341234 失败, 订单 123456789012345") == "发往 138****1234 失败, 订单 123456789012345"
        assert masked_phones("+8613912345678") == "139****5678"

    def test_the_log_filter_masks_arguments_too(self):
        import logging
        record = logging.LogRecord("x", logging.INFO, "f", 1, "SMS to %s", ("13812341234",), None)
        PhoneMaskingFilter().filter(record)
        assert record.getMessage() == "SMS to 138****1234"


class TestSenders:
    def test_the_config_chooses_the_sender(self):
        assert isinstance(sender_from_config({}), OutboxSender)
        http = sender_from_config({"SENDER": "HTTP", "HTTP_URL": "http://gw/sms", "HTTP_TOKEN": "t"})
        assert isinstance(http, HttpSmsSender) and (http.url, http.token) == ("http://gw/sms", "t")
        with pytest.raises(ValueError, match="HTTP_URL"):
            sender_from_config({"SENDER": "http"})
        with pytest.raises(ValueError, match="outbox、http"):
            sender_from_config({"SENDER": "pigeon"})


class FakeFacts(YearFacts):
    """The real port with the two services' answers given in advance."""

    def __init__(self, notice=None, fees=None):
        super().__init__(dossier=None, payment=None)
        self._notices[2026] = notice
        self._fees[2026] = fees or {"intermediate": 16000}


class FakeDirectory(Directory):
    def __init__(self, people=(), city_admins=()):
        super().__init__(identity=None)
        self.known = {person.account_id: person for person in people}
        self.admins = list(city_admins)

    def people(self, account_ids):
        return {account_id: self.known[account_id] for account_id in account_ids if account_id in self.known}

    def city_admins(self):
        return self.admins


APPLICANT = Person("a-1", "王小明", "13812341234")
SNAPSHOT = {"applicant_id": "a-1", "applicant_name": "王小明", "unit_id": "u-1", "unit_name": "甲单位",
            "review_year": 2026, "series": "engineering", "level": "intermediate"}


def event(data):
    return {"dossier_id": "d-1", "data": data, "dossier": SNAPSHOT}


class TestCompose:
    def test_the_subject_names_year_series_and_level_in_chinese(self):
        assert compose.subject(SNAPSHOT) == "2026年度工程系列中级职称申报"

    def test_a_return_names_level_reason_sections_and_deadline(self):
        facts = FakeFacts({"deadlines": {"resubmission": "2026-06-30T17:00:00+08:00"}})
        (message,) = compose.applicant_messages("returned", event(
            {"level": st.DISTRICT, "reason": "缺少" * 30, "sections": ["materials", "review_form"]}),
            FakeDirectory([APPLICANT]), facts)
        rendered = t.render(message.kind, message.params)
        assert message.person == APPLICANT and message.link == "/dossiers/d-1"
        assert "主管部门/区县人社局" in rendered.title and "证明材料、评审表" in rendered.body
        assert "2026-06-30 17:00" in rendered.body and len(message.params["reason_short"]) == compose.SHORT_REASON

    def test_a_fee_due_without_schedule_or_deadline_still_reads(self):
        (message,) = compose.applicant_messages("city_approved", event({}), FakeDirectory([APPLICANT]),
                                                FakeFacts(None, fees={"senior": 1}))
        assert message.params["amount"] == "(金额以缴费页面为准)" and message.params["pay_by"] == t.PAY_NO_DEADLINE

    def test_an_upheld_objection_tells_the_applicant_and_a_dismissed_one_does_not(self):
        directory = FakeDirectory([APPLICANT])
        (upheld,) = compose.applicant_messages("objection_resolved", event({"outcome": "upheld", "reason": "抄袭"}),
                                               directory, FakeFacts())
        assert upheld.kind == "dossier_rejected"
        assert compose.applicant_messages("objection_resolved", event({"outcome": "dismissed"}), directory,
                                          FakeFacts()) == []

    def test_an_applicant_identity_does_not_answer_for_still_gets_the_in_app_message(self):
        (message,) = compose.applicant_messages("publicity_ended", event({}), FakeDirectory([]), FakeFacts())
        assert message.person == Person("a-1", "王小明", None)

    def test_every_event_the_applicant_hears_of_renders_in_full(self):
        data = {"level": st.UNIT, "reason": "r", "sections": ["education"], "amount_fen": 12345, "end": "2026-06-20",
                "certificate_number": "N-1"}
        for event_name in compose.APPLICANT_MESSAGES:
            (message,) = compose.applicant_messages(event_name, event(data), FakeDirectory([APPLICANT]), FakeFacts())
            rendered = t.render(message.kind, message.params, "昆明人社")
            assert rendered.sms.startswith("【昆明人社】") and "{" not in rendered.body + rendered.sms, event_name

    def test_the_yuan_amounts(self):
        assert (compose.yuan(16000), compose.yuan(16050), compose.yuan(5)) == ("160 元", "160.50 元", "0.05 元")


def test_the_service_consumes_every_status_change_and_the_take_back():
    moving = {name for name, (_label, status) in st.EVENTS.items() if status is not None}
    assert moving <= set(DOSSIER_EVENTS) and {"objection_raised", "objection_resolved"} <= set(DOSSIER_EVENTS)
    assert set(compose.APPLICANT_MESSAGES) <= set(DOSSIER_EVENTS)
    assert TAKE_BACK is None or TAKE_BACK in DOSSIER_EVENTS


def test_reminder_stages_come_from_config():
    rules = {rule.kind: rule for rule in rules_from_config({"REMINDERS": {"resubmission_days": "1, 5,3",
                                                                          "draft_days": 2}})}
    assert rules["resubmission_reminder"].stages == (5, 3, 1) and rules["draft_reminder"].stages == (2,)
    assert rules["payment_reminder"].stages == (3, 1) and rules["payment_reminder"].status == st.ACCEPTED


def test_answers_keep_their_declared_shape():
    from services.notification import schemas
    from services.notification.application import delivery_item

    row = {"id": "x", "channel": "sms", "kind": "password_reset_code", "phone": "13812341234", "status": PENDING,
           "attempts": 0, "next_attempt_at": at_beijing(9), "last_error": None, "created_at": at_beijing(9),
           "sent_at": None}
    answer = dump(schemas.DeliveryOut, delivery_item(row))
    assert answer["recipient_masked"] == "138****1234" and answer["kind_label"] == "密码重置验证码"
    assert answer["next_attempt_at"] == "2026-06-10T01:00:00+00:00"
