"""The certificate fee (证书工本费) on the 当前待办 card once publicity has ended, and a waived review fee
(the year's policy charges 0) on the card and the money panel: never "已缴费 0.00 元"."""
from datetime import datetime, timezone

from gateway.compose import next_step as ns
from gateway.compose.next_step_facts import FEE_STATUSES, list_facts
from gateway.pages.renderer import PageRenderer
from shared.clock import beijing_text
from shared.contracts import dossier as st
from shared.contracts.payment import CERTIFICATE_FEE, EXPIRED, PAID, PENDING, REVIEW_FEE, ZERO_FEE_REFERENCE

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
DOSSIER = {"id": "d-1", "applicant_name": "王芳", "unit_id": "u-1", "unit_name": "演示单位甲",
           "district_id": "g-1", "district_name": "五华区人社局", "review_year": 2026}
REVIEW_PAID = {"order_id": "o-review", "kind": REVIEW_FEE, "status": PAID, "payable": False, "amount_yuan": "160.00",
               "expires_at": "2026-05-01T09:30:00+00:00"}
CERTIFICATE_DUE = {"order_id": "o-cert", "kind": CERTIFICATE_FEE, "status": PENDING, "payable": True,
                   "amount_yuan": "50.00", "expires_at": "2026-07-04T02:00:00+00:00"}


def card(status, orders=None, **fields):
    return ns.card({**DOSSIER, "status": status, **fields}, {"now": NOW, "notice": {}, "orders": orders})


def keys(step):
    return [b["key"] for b in step["buttons"]]


class TestTheCertificateFeeStep:
    def test_an_unpaid_certificate_fee_is_the_applicants_step_with_amount_deadline_and_pay_button(self):
        step = card(st.APPROVED, [CERTIFICATE_DUE, REVIEW_PAID])  # newest first, the paid review fee too
        assert not step["waiting"] and step["action"] == "请在线缴纳证书工本费"
        assert "证书工本费 50.00 元" in step["detail"] and "签发电子职称证书" in step["detail"]
        assert step["deadline"]["label"] == "缴费截止"
        assert step["deadline"]["text"] == beijing_text(datetime.fromisoformat(CERTIFICATE_DUE["expires_at"]))
        assert keys(step) == ["pay"] and step["buttons"][0]["post"] == "/dossiers/d-1/orders/o-cert/pay"

    def test_a_paid_certificate_fee_waits_for_the_certificate(self):
        step = card(st.APPROVED, [{**CERTIFICATE_DUE, "status": PAID, "payable": False}, REVIEW_PAID])
        assert step["waiting"] and step["action"] == "证书待发放(工本费已缴)" and step["buttons"] == []
        assert step["deadline"] is None

    def test_the_paid_review_fee_does_not_count_as_a_paid_certificate_fee(self):
        step = card(st.APPROVED, [{**CERTIFICATE_DUE, "status": EXPIRED, "payable": False}, REVIEW_PAID])
        assert step["action"] == "请在线缴纳证书工本费" and keys(step) == ["reopen"]
        assert step["buttons"][0]["post"] == "/dossiers/d-1/orders/reopen"

    def test_without_a_certificate_fee_order_the_certificate_simply_comes(self):
        for orders in (None, [], [REVIEW_PAID]):  # not asked, none, or only the review fee (a fee of 0)
            step = card(st.APPROVED, orders)
            assert step["waiting"] and step["action"] == "无需操作,等待发放电子证书", orders

    def test_payment_not_answering_leads_to_the_payment_card(self):
        step = card(st.APPROVED, {"unavailable": True})
        assert keys(step) == ["payment"] and "暂时无法获取" in step["detail"]

    def test_the_list_asks_for_the_orders_of_an_approved_dossier(self):
        asked = []

        class Proxy:
            def __init__(self, name, answer):
                self.name, self.answer = name, answer

            def call_async(self, *args):
                asked.append((self.name, *args))
                return type("Reply", (), {"result": lambda _self: self.answer})()

        services = (type("D", (), {"get_notice": Proxy("notice", {"notice": {}})})(),
                    type("P", (), {"orders_of_dossier": Proxy("orders", [CERTIFICATE_DUE])})(),
                    type("C", (), {"get_by_dossier": Proxy("certificate", None)})(),
                    type("I", (), {"get_org": Proxy("org", None), "org_ancestors": Proxy("ancestors", [])})())
        facts = list_facts(services, [{**DOSSIER, "dossier_id": "d-1", "status": st.APPROVED}])
        assert st.APPROVED in FEE_STATUSES and ("orders", "d-1") in asked
        assert ns.card({**DOSSIER, "status": st.APPROVED}, {**facts["d-1"], "now": NOW})["buttons"][0]["key"] == "pay"


class TestAWaivedReviewFee:
    WAIVED = {"order_id": ZERO_FEE_REFERENCE, "amount_fen": 0}

    def test_the_card_says_the_fee_is_waived_not_paid(self):
        assert card(st.FEE_PAID, fee=self.WAIVED)["detail"] == "本年度免收评审费,无需缴费。"
        assert card(st.FEE_PAID, fee={"order_id": "o-1", "amount_fen": 16000})["detail"] == "评审费已缴纳。"

    def render_money(self, dossier, payment=None, certificate=None):
        return PageRenderer().render("_money.html", dossier=dossier, payment=payment, certificate=certificate,
                                     csrf_token="tok", csrf_field="csrf_token")

    def test_the_money_panel_says_免收评审费_without_an_order_or_an_amount(self):
        html = self.render_money({**DOSSIER, "status": st.FEE_PAID, "fee": self.WAIVED})
        assert 'id="review-fee-waived"' in html and "本年度免收评审费" in html
        assert "0.00" not in html and "已缴费" not in html and "暂无缴费订单" not in html

    def test_a_paid_fee_has_no_waiver_line(self):
        dossier = {**DOSSIER, "status": st.FEE_PAID, "fee": {"order_id": "o-review", "amount_fen": 16000}}
        html = self.render_money(dossier, payment={"orders": [{**REVIEW_PAID, "review_year": 2026,
                                                               "kind_label": "评审费", "status_label": "已缴费"}]})
        assert "免收" not in html and 'id="order-o-review"' in html
        assert self.render_money({**DOSSIER, "status": st.FEE_PAID, "fee": None}).strip() == ""

    def test_the_audit_views_tell_the_waiver_in_words_not_as_an_order_of_0_yuan(self):
        from gateway.compose.dossier_diff import FEE_WAIVED_WORDS, PROCESS, words_for
        from gateway.pages.audit_views import EVENT_WORDS

        fee_words = next(words for words in PROCESS.fields if words.name == "fee")
        assert words_for(self.WAIVED, fee_words) == FEE_WAIVED_WORDS
        assert EVENT_WORDS["fee_paid"](self.WAIVED, {}, {}) == FEE_WAIVED_WORDS
        paid = {"order_id": "o-9", "amount_fen": 16000}
        assert "免收" not in words_for(paid, fee_words) and "免收" not in EVENT_WORDS["fee_paid"](paid, {}, {})
