"""当前待办: for every status the card names the right action, deadline, holder and button (pure), the
reviewers' counts, and the confirmation step's carried fields."""
from datetime import datetime, timezone

import pytest
from werkzeug.datastructures import MultiDict

from gateway.compose import next_step as ns
from gateway.pages.confirm import carried_fields
from shared.contracts import dossier as st
from shared.roles import AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
NOTICE = {"window": {"start": "2026-03-01T09:00:00+08:00", "end": "2026-03-31T17:30:00+08:00"},
          "deadlines": {"unit": "2026-04-10T17:30:00+08:00", "district": "2026-04-20T17:30:00+08:00",
                        "city": "2026-04-30T17:30:00+08:00", "resubmission": "2026-04-15T17:30:00",
                        "payment": "2026-05-15T17:30:00+08:00"}}
DOSSIER = {"id": "d-1", "applicant_name": "王芳", "unit_id": "u-1", "unit_name": "演示单位甲",
           "district_id": "g-1", "district_name": "五华区人社局", "review_year": 2026}
ORDER = {"order_id": "o-1", "status": "pending", "payable": True, "amount_yuan": "160.00",
         "expires_at": "2026-04-02T09:30:00+00:00"}


def card(status, facts=None, **fields):
    return ns.card({**DOSSIER, "status": status, **fields}, {"now": NOW, "notice": NOTICE, **(facts or {})})


def keys(step):
    return [b["key"] for b in step["buttons"]]


class TestEveryStatus:
    def test_a_draft_continues_or_submits_before_the_window_ends(self):
        step = card(st.DRAFT, sections={"basic_info": {"gender": "男"}})
        assert not step["waiting"] and keys(step) == ["continue", "submit"]
        assert step["buttons"][0]["href"] == "/dossiers/d-1#sec-education"  # the first section still empty
        assert step["buttons"][1]["post"] == "/dossiers/d-1/submit"
        assert step["deadline"] == {"label": "申报截止", "text": "2026-03-31 17:30", "overdue": False, "days_left": 11}
        assert step["holder"]["kind"] == ns.APPLICANT and "单位审核后将不能修改" in step["detail"]

    def test_a_draft_after_the_window_cannot_be_submitted(self):
        step = ns.card({**DOSSIER, "status": st.DRAFT}, {"now": datetime(2026, 4, 1, tzinfo=timezone.utc),
                                                         "notice": NOTICE})
        assert step["deadline"]["overdue"] and keys(step) == ["continue"] and "已截止" in step["detail"]

    def test_a_returned_dossier_names_the_resubmission_deadline_reason_and_who_returned_it(self):
        step = card(st.RETURNED, return_notice={"level": st.DISTRICT, "reason": "继续教育证明不清晰。",
                                                "sections": ["continuing_education", "materials"]},
                    facts={"orgs": {ns.DISTRICT: {"name": "五华区人社局", "contact_phone": "0871-63100000"}}})
        # The later of the window's end and the notice's resubmission deadline (naive: Beijing time).
        assert step["deadline"]["label"] == "重新提交截止" and step["deadline"]["text"] == "2026-04-15 17:30"
        assert keys(step) == ["resubmit"] and step["buttons"][0]["label"] == "修改并重新提交(截止 2026-04-15 17:30)"
        assert step["buttons"][0]["href"] == "/dossiers/d-1#return-notice"
        assert step["detail"] == "退回原因:继续教育证明不清晰。需修改:继续教育、证明材料。逾期未重新提交视为放弃。"
        assert step["holder"]["kind"] == ns.APPLICANT
        assert step["contact"] == {"kind": ns.DISTRICT, "label": "主管部门", "name": "五华区人社局",
                                   "phone": "0871-63100000", "hint": None}

    def test_without_a_resubmission_deadline_the_window_end_is_the_deadline(self):
        notice = {**NOTICE, "deadlines": {}}
        step = ns.card({**DOSSIER, "status": st.RETURNED, "return_notice": {"level": st.UNIT}},
                       {"now": NOW, "notice": notice})
        assert step["deadline"]["text"] == "2026-03-31 17:30" and step["contact"]["kind"] == ns.UNIT

    def test_a_submitted_dossier_waits_for_the_unit_and_may_be_taken_back(self):
        step = card(st.SUBMITTED, allowed_commands=["take_back", "withdraw"],
                    facts={"orgs": {ns.UNIT: {"name": "演示单位甲", "contact_phone": "0871-1234567"}}})
        assert step["waiting"] and step["action"] == "无需操作,等待单位审核"
        assert step["holder"] == {"kind": ns.UNIT, "label": "工作单位", "name": "演示单位甲",
                                  "phone": "0871-1234567", "hint": None}
        assert step["deadline"]["label"] == "单位审核截止"
        assert keys(step) == ["take_back"] and step["buttons"][0]["href"] == "/dossiers/d-1#sec-take-back"

    def test_a_submitted_dossier_the_unit_took_up_offers_no_take_back(self):
        assert keys(card(st.SUBMITTED, allowed_commands=["withdraw"])) == []

    def test_without_a_phone_the_holder_says_whom_to_ask(self):
        holder = card(st.RECOMMENDED)["holder"]
        assert holder["name"] == "五华区人社局" and holder["phone"] is None and "主管部门" in holder["hint"]

    @pytest.mark.parametrize("status, action, kind, label", [
        (st.UNIT_APPROVED, "无需操作,等待单位公示期满后报送主管部门", ns.UNIT, None),
        (st.RECOMMENDED, "无需操作,等待主管部门审核", ns.DISTRICT, "主管部门审核截止"),
        (st.DISTRICT_APPROVED, "无需操作,等待市人社局审核", ns.CITY, "市人社局审核截止"),
        (st.FEE_PAID, "无需操作,等待送评审委员会评审", ns.COMMITTEE, None),
        (st.SENT_TO_COMMITTEE, "无需操作,等待评审委员会评审", ns.COMMITTEE, None),
        (st.UNDER_REVIEW, "无需操作,等待评审委员会评审", ns.COMMITTEE, None),
        (st.PASSED, "无需操作,等待市人社局发布评审结果公示", ns.CITY, None),
        (st.APPROVED, "无需操作,等待发放电子证书", ns.CITY, None),
    ])
    def test_the_waiting_statuses_say_what_and_whom_they_wait_for(self, status, action, kind, label):
        step = card(status)
        assert step["waiting"] and step["action"] == action and step["buttons"] == []
        assert step["holder"]["kind"] == kind
        assert (step["deadline"] or {}).get("label") == label

    def test_the_unit_publicity_end_is_the_deadline_while_it_runs(self):
        step = card(st.UNIT_APPROVED, unit_publicity={"start": "2026-03-20", "end": "2026-03-26"})
        assert step["deadline"] == {"label": "单位公示截止", "text": "2026-03-26", "overdue": False, "days_left": 6}

    def test_an_accepted_dossier_pays_its_pending_order_by_its_expiry(self):
        step = card(st.ACCEPTED, facts={"orders": [ORDER]})
        assert not step["waiting"] and step["action"] == "请在线缴纳评审费"
        assert keys(step) == ["pay"] and step["buttons"][0]["post"] == "/dossiers/d-1/orders/o-1/pay"
        assert step["buttons"][0]["label"] == "在线缴费"
        assert step["deadline"]["text"] == "2026-04-02 17:30"  # 09:30 UTC is 17:30 in Beijing
        assert "160.00 元" in step["detail"] and step["holder"]["kind"] == ns.CITY

    def test_without_a_payable_order_the_notice_payment_deadline_shows_and_a_new_order_is_offered(self):
        step = card(st.ACCEPTED, facts={"orders": [{**ORDER, "status": "expired", "payable": False}]})
        assert keys(step) == ["reopen"] and step["deadline"]["text"] == "2026-05-15 17:30"

    def test_payment_unavailable_leads_to_the_payment_card(self):
        step = card(st.ACCEPTED, facts={"orders": {"unavailable": True}})
        assert keys(step) == ["payment"] and "暂时无法获取" in step["detail"]

    def test_in_publicity_names_the_end_date_and_links_the_publicity(self):
        step = card(st.IN_PUBLICITY, publicity={"publicity_id": "p-9", "start": "2026-03-16", "end": "2026-03-23"},
                    open_objections=[])
        assert step["action"] == "无需操作,公示期至 2026-03-23 结束" and step["waiting"]
        assert step["deadline"]["label"] == "公示截止" and step["deadline"]["text"] == "2026-03-23"
        assert step["buttons"] == [ns.button("publicity", "查看公示(至 2026-03-23)", href="/publicity/p-9",
                                             primary=False)]

    def test_an_objection_during_publicity_is_said(self):
        step = card(st.IN_PUBLICITY, publicity={"publicity_id": "p-9", "end": "2026-03-23"}, open_objections=["x"])
        assert "异议" in step["detail"]

    def test_a_certified_dossier_downloads_its_certificate(self):
        step = card(st.CERTIFIED, facts={"certificate": {"number": "KM2026-1", "status": "valid", "pdf_ready": True}})
        assert keys(step) == ["certificate"] and step["buttons"][0]["label"] == "下载电子证书"
        assert step["buttons"][0]["href"] == "/dossiers/d-1/certificate" and step["holder"] is None

    def test_a_certificate_still_being_made_offers_no_download_yet(self):
        step = card(st.CERTIFIED, facts={"certificate": {"status": "valid", "pdf_ready": False}})
        assert keys(step) == [] and "正在生成" in step["detail"]

    @pytest.mark.parametrize("status", [st.WITHDRAWN, st.ABANDONED, st.REJECTED, st.FAILED, st.REVOKED])
    def test_an_ended_dossier_has_nothing_to_do(self, status):
        step = card(status, final_reason="材料不实" if status == st.REJECTED else None)
        assert step["ended"] and step["buttons"] == [] and step["holder"] is None
        assert step["action"].startswith("本次申报已结束") and not ns.shows_card(status)
        if status == st.REJECTED:
            assert step["detail"] == "原因:材料不实"

    def test_every_status_has_a_card(self):
        for status in st.ALL_STATUSES:
            assert card(status)["action"], status


class TestDeadlines:
    def test_today_and_overdue(self):
        assert ns.deadline("x", "2026-03-20", NOW)["days_left"] == 0
        assert ns.deadline("x", "2026-03-19", NOW)["overdue"]
        # 01:00 on the 21st in Beijing is still the 20th in UTC: the Beijing date counts.
        assert ns.deadline("x", "2026-03-20T17:00:00+00:00", NOW)["days_left"] == 1
        assert ns.deadline("x", None, NOW) is None and ns.deadline("x", "not a date", NOW) is None


class TestFromHistory:
    def test_the_list_row_learns_the_return_and_the_publicity_from_the_events(self):
        events = [{"type": "returned", "at": "2026-03-10T01:00:00+00:00",
                   "data": {"level": "unit", "reason": "请补充", "sections": ["education"]}},
                  {"type": "submitted", "data": {}},
                  {"type": "publicity_started", "data": {"publicity_id": "p-1", "start": "2026-03-16", "end": "2026-03-23"}}]
        found = ns.from_history({"dossier_id": "d-1", "status": st.IN_PUBLICITY}, events)
        assert found["return_notice"]["sections"] == ["education"]
        assert found["publicity"] == {"publicity_id": "p-1", "start": "2026-03-16", "end": "2026-03-23"}


class TestAdminCard:
    COUNTS = {"counts": {st.SUBMITTED: 3, st.UNIT_APPROVED: 1, st.RECOMMENDED: 4, st.PASSED: 2, st.IN_PUBLICITY: 5}}

    def test_the_unit_admin_sees_submissions_and_unit_approvals_and_join_requests(self):
        todo = ns.admin_card(UNIT_ADMIN, self.COUNTS, members_pending=2)
        assert [(i["status"], i["count"]) for i in todo["items"]] == [
            (st.SUBMITTED, 3), (st.UNIT_APPROVED, 1), ("members", 2)]
        assert todo["total"] == 4 and todo["summary"] == "共 4 件申报材料待您处理"
        assert todo["items"][0]["href"] == "/review?status=submitted&awaiting=1"

    def test_the_district_and_city_admins_see_their_own_steps(self):
        district = ns.admin_card(DISTRICT_ADMIN, self.COUNTS, "role=district_admin")
        assert [(i["status"], i["count"]) for i in district["items"]] == [(st.RECOMMENDED, 4)]
        assert district["items"][0]["href"].endswith("&role=district_admin")
        city = ns.admin_card(CITY_ADMIN, self.COUNTS)
        assert [(i["status"], i["count"]) for i in city["items"]] == [
            (st.DISTRICT_APPROVED, 0), (st.PASSED, 2), (st.IN_PUBLICITY, 5)]
        assert city["items"][1]["elsewhere"] == "/admin/publicity"

    def test_nothing_awaiting_and_the_auditor(self):
        assert ns.admin_card(UNIT_ADMIN, {"counts": {}})["summary"] == "暂无待您处理的申报材料"
        assert ns.admin_card(AUDITOR, self.COUNTS) is None


class TestConfirmation:
    def test_every_posted_value_is_carried_but_the_token_and_the_confirmation(self):
        form = MultiDict([("csrf_token", "t"), ("dossier_ids", "a"), ("dossier_ids", "b"), ("start", ""),
                          ("confirm", "0")])
        assert carried_fields(form) == [("dossier_ids", "a"), ("dossier_ids", "b"), ("start", "")]


class TestTemplates:
    """The card comes first on the dossier page; feedback lands where the person looks."""

    @staticmethod
    def pages():
        from tests.unit.gateway.test_gateway_pages_templates import dossier_in, editor, render
        return dossier_in, editor, render

    def test_the_dossier_page_shows_the_card_before_the_stepper_with_its_button(self):
        dossier_in, editor, _ = self.pages()
        dossier = dossier_in("draft")
        html = editor(dossier, next_step=ns.card(dossier, {"now": NOW, "notice": NOTICE}))
        assert html.index('id="next-step"') < html.index('class="progress-steps"')
        assert f'action="/dossiers/{dossier["id"]}/submit"' in html and 'id="next-submit"' in html
        assert "申报截止:<strong>2026-03-31 17:30</strong>" in html

    def test_the_save_confirmation_is_inside_the_saved_section_only(self):
        dossier_in, editor, _ = self.pages()
        html = editor(dossier_in("draft"), section_flash={"section": "education", "text": "已保存。"})
        start, end = html.index('id="sec-education"'), html.index('id="sec-work_experience"')
        assert html.count('class="section-flash"') == 1 and start < html.index('id="saved-education"') < end

    def test_a_refused_submission_lists_every_problem_beside_the_button_with_links(self):
        dossier_in, editor, _ = self.pages()
        problems = [{"text": "学历学位:尚未填写", "label": "学历学位", "message": "尚未填写", "section": "education"},
                    {"text": "弄虚作假处理期:处理期内", "label": "弄虚作假处理期", "message": "处理期内", "section": None}]
        html = editor(dossier_in("draft"), message="申报材料不完整", submit_problems=problems)
        box = html[html.index('id="submit-problems"'):html.index('id="submit-dossier"')]
        assert 'href="#sec-education"' in box and "处理期内" in box and box.count("<li>") == 2
        assert html.index('id="sec-actions"') < html.index('id="submit-problems"')

    def test_the_confirmation_page_posts_every_field_again_with_confirm(self):
        _, _, render = self.pages()
        html = render("confirm.html", title="确认发布公示", lines=["发布后不能撤回。"], facts=[("申报材料", "2 件")],
                      button="确认发布公示", back="/admin/publicity", action="/review/bulk?status=passed",
                      fields=[("dossier_ids", "a"), ("dossier_ids", "b"), ("action", "publish")], danger=False)
        assert 'action="/review/bulk?status=passed"' in html
        assert html.count('name="dossier_ids"') == 2 and '<input type="hidden" name="confirm" value="1">' in html
        assert 'href="/admin/publicity" id="confirm-cancel"' in html and "发布后不能撤回。" in html


class TestListFacts:
    """我的申报 asks each service only what the statuses need, once per year and per organisation."""

    class Proxy:
        def __init__(self, log, name, answer):
            self.log, self.name, self.answer = log, name, answer

        def call_async(self, *args):
            self.log.append((self.name, *args))
            answer = self.answer(*args)
            return type("Reply", (), {"result": lambda _self: answer})()

    def services(self, log):
        proxy = self.Proxy
        dossier = type("D", (), {"get_notice": proxy(log, "get_notice", lambda year: {"notice": NOTICE})})()
        payment = type("P", (), {"orders_of_dossier": proxy(log, "orders", lambda _id: [ORDER])})()
        certificate = type("C", (), {"get_by_dossier": proxy(log, "certificate", lambda _id: {"status": "valid"})})()
        identity = type("I", (), {"get_org": proxy(log, "get_org", lambda org_id: {"name": org_id, "contact_phone": "1"}),
                                  "org_ancestors": proxy(log, "ancestors", lambda org_id: [{"name": "昆明市人社局"}])})()
        return dossier, payment, certificate, identity

    def test_one_call_per_year_and_organisation_and_orders_only_when_accepted(self):
        from gateway.compose.next_step_facts import list_facts
        log = []
        rows = [{**DOSSIER, "dossier_id": "a", "status": st.SUBMITTED}, {**DOSSIER, "dossier_id": "b", "status": st.SUBMITTED},
                {**DOSSIER, "dossier_id": "c", "status": st.ACCEPTED}, {**DOSSIER, "dossier_id": "d", "status": st.DRAFT}]
        facts = list_facts(self.services(log), rows)
        assert sorted(entry[0] for entry in log) == ["ancestors", "get_notice", "get_org", "orders"]
        assert facts["a"]["orgs"] == {ns.UNIT: {"name": "u-1", "contact_phone": "1"}} and "orders" not in facts["a"]
        assert facts["c"]["orders"] == [ORDER] and facts["c"]["orgs"][ns.CITY]["name"] == "昆明市人社局"
        assert "orgs" not in facts["d"] and facts["d"]["notice"] == NOTICE
