"""What every page mixin renders with: the layout's context (who is signed in, the menu, the CSRF
token, a flash message), the Chinese error page, and a refusal shown beside its form."""
from werkzeug import Response

from shared.contracts import dossier as st
from shared.observability import current_correlation_id
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, EXPERT, UNIT_ADMIN

from ..compose.messages import UNREAD_BADGE
from ..errors import error_body, retry_headers
from .renderer import Pages
from .session import CSRF_FIELD, PageSessions
from .views import flatten_errors

# Messages a redirect may ask the next page to show (?msg=<key>); never free text from the URL.
FLASH = {
    "registered": "注册成功,请登录。",
    "signed_out": "您已安全退出。",
    "password_reset": "密码已重置,请使用新密码登录。",
    "created": "申报材料已创建,请逐项填写并上传证明材料。",
    "saved": "已保存。",
    "achievement_added": "已添加业绩成果。",
    "achievement_removed": "已删除该项业绩成果。",
    "material_uploaded": "证明材料已上传。",
    "material_removed": "已删除该证明材料。",
    # After submitting and withdrawing, the key is the status the dossier entered.
    st.SUBMITTED: "申报材料已提交,请等待单位审核。",
    st.WITHDRAWN: "已撤销本次申请。",
    "taken_back": "已撤回申报,申报材料恢复为草稿:修改后请重新提交,单位才能审核。",
    "membership_requested": "已提交加入单位的申请,请等待单位管理员确认。",
    "member_confirmed": "已确认该成员加入本单位。",
    "member_rejected": "已拒绝该成员的加入申请。",
    "role_request_confirmed": "已确认授予,该角色即时生效。",
    "role_request_refused": "已拒绝该角色授予申请。",
    "decided": "审核决定已记录。",
    "signin_needed": "请先登录。",
    # review, committees, meetings, publicity
    "committee_created": "评委会已组建,请添加专家。",
    "experts_added": "专家已加入专家库。",
    "expert_removed": "已将该专家移出专家库。",
    "expert_unit_changed": "已更改该专家的回避单位,变更已记录。",
    "meeting_created": "评审会议已创建。",
    "experts_drawn": "已随机抽取专家,抽取种子与候选名单已记录。",
    "dossiers_assigned": "申报材料已分配到本次会议(已送评)。",
    "dossiers_changed": "申报材料调整决定已记录。",
    "leads_named": "主审专家已指定。",
    "lead_opinion_saved": "主审意见已保存,投票前可继续修改。",
    "attendance_recorded": "出席情况已登记。",
    "meeting_opened": "评审会议已开始表决。",
    "meeting_closed": "表决已结束,计票结果已记录。",
    "ballot_recorded": "您的表决已记录。",
    "conflict_declared": "回避申报已记录。",
    "published": "公示已发布。",
    "objection_lodged": "异议已受理,我们将核查并与您联系。",
    "objection_resolved": "异议处理结论已记录。",
    "timers_run": "到期任务已执行。",
    "calendar_saved": "节假日安排已保存。",
    # payment and certificates
    "order_reopened": "已重新生成缴费订单,请在期限内缴费。",
    # the annual notices
    "notice_draft_saved": "草稿已保存,尚未发布。请核对预览后发布。",
    "notice_published": "通知已发布,自即刻起作为该年度的政策执行。",
    "notice_draft_discarded": "草稿已放弃,已发布的通知不变。",
    "notice_year_invalid": "请填写 2000 到 2100 之间的评审年度。",
    "certificate_revoked": "证书已撤销,公开查验页同步显示撤销状态。",
    # the message centre
    "messages_read": "已标为已读。",
    "all_messages_read": "全部消息已标为已读。",
    "preferences_saved": "短信提醒设置已保存。",
    "delivery_requeued": "已重新排队发送,稍后刷新查看结果。",
}


def nav_links(principal):
    """The menu for whoever is signed in (by the roles they hold)."""
    links = [("/", "首页"), ("/publicity", "公示"), ("/certificates/verify", "证书查验")]
    if principal is None:
        return links + [("/login", "登录"), ("/register", "注册")]
    if principal.has(APPLICANT):
        links += [("/dossiers", "我的申报"), ("/units/join", "工作单位")]
    if principal.has(UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, AUDITOR):
        links += [("/review", "审核"), ("/progress", "进度")]
    if principal.has(UNIT_ADMIN):
        links.append(("/review/members", "成员确认"))
    if principal.has(CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR):
        links += [("/committees", "评委会"), ("/meetings", "评审会议")]
    if principal.has(CITY_ADMIN):
        links += [("/admin/notices", "年度通知"), ("/admin/publicity", "公示管理"), ("/admin/role-requests", "角色审批")]
    if principal.has(CITY_ADMIN, AUDITOR):
        links += [("/admin/fees", "收费对账"), ("/admin/certificates", "证书管理"), ("/admin/notifications", "消息发送")]
    if principal.has(AUDITOR):
        links += [("/audit", "审计工作台"), ("/audit/access", "访问记录")]
    if principal.has(EXPERT):
        links.append(("/expert", "评审表决"))
    return links


class PageBase:
    """Dependencies and answers every page mixin uses."""

    pages = Pages()
    page_sessions = PageSessions()

    def render_page(self, session, template, status=200, **context):
        me = session.known_principal
        # The header's "消息 (N)": one short call per page (a page that already knows the count passes
        # ``unread_badge``); None when the notification service cannot say now — the page renders anyway.
        if "unread_badge" not in context:
            context["unread_badge"] = UNREAD_BADGE.count(self.notification, me)
        html = self.pages.render(template, me=me, nav=nav_links(me), csrf_token=session.csrf_token,
                                 csrf_field=CSRF_FIELD, flash=FLASH.get(session.request.args.get("msg")),
                                 path=session.request.path, **context)
        return Response(html, status=status, mimetype="text/html")

    def error_page(self, session, error):
        status, body = error_body(error)
        # A failure names this request's correlation id, the one its log lines carry (shared/observability.py).
        reference = current_correlation_id() if status >= 500 else None
        response = self.render_page(session, "error.html", status=status, status_code=status, error=body["error"],
                                    reference=reference)
        for name, value in retry_headers(error, status).items():  # 429 and 503: when to come back
            response.headers[name] = value
        return response


def refusal(error):
    """``(message, field errors)`` of a refused command, for showing beside the form."""
    return error.message, flatten_errors(getattr(error, "fields", None) or {})
