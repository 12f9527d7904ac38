"""How page routes answer: ``@page(method, url)`` opens the browser session, checks the CSRF token of
every form POST, turns refusals into a Chinese error page (or the login page when signed out) and
writes the session's cookie changes and the security headers onto every answer."""
import functools
from urllib.parse import quote, urlencode

from markupsafe import escape
from nameko.extensions import Entrypoint
from nameko.web.handlers import HttpRequestHandler
from werkzeug import Response
from werkzeug.routing import Rule

from shared.errors import NotAuthenticated

from .edge import check_request_line
from .errors import error_body, retry_headers
from .page_session import CSRF_FIELD, CSRF_HEADER, REFRESH_PATH, SAFE_METHODS, PageSessions, RefreshNeeded
from .pages import Pages
from .webserver import GatewayWebServer

# Inline scripts and styles are not allowed: everything comes from /static.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

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
    "submitted": "申报材料已提交,请等待单位审核。",
    "withdrawn": "已撤销本次申请。",
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
    "meeting_created": "评审会议已创建。",
    "experts_drawn": "已随机抽取专家,抽取种子与候选名单已记录。",
    "dossiers_assigned": "申报材料已分配到本次会议(已送评)。",
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
    "fees_saved": "收费标准已保存,此后生成的订单按新标准收费。",
    "certificate_revoked": "证书已撤销,公开查验页同步显示撤销状态。",
}


class PageHandler(HttpRequestHandler):
    """``@http`` for pages. The route is kept as ``page_method``/``page_url`` rather than ``method``/``url``
    because the OpenAPI document lists every entrypoint that has those, and pages are not API."""

    server = GatewayWebServer()  # the same server as the API's handler (gateway/webserver.py)

    def __init__(self, method, url, **kwargs):
        self.page_method, self.page_url = method, url
        Entrypoint.__init__(self, **kwargs)

    def get_url_rule(self):
        return Rule(self.page_url, methods=self.page_method.split(","))

    def get_entrypoint_parameters(self, request):
        check_request_line(request)  # hostile path or query: refused before the page runs (gateway/edge.py)
        return super().get_entrypoint_parameters(request)

    def response_from_exception(self, exc):
        # Only reached when the page code itself could not run (its own errors become error pages).
        status, body = error_body(exc)
        title = "系统繁忙" if status >= 500 else "出错了"
        html = (f"<!doctype html><meta charset=utf-8><title>{title}</title>"
                f"<p>{escape(body['error']['message'])}</p><p><a href=\"/\">返回首页</a></p>")
        return secure_headers(Response(html, status=status, headers=retry_headers(exc, status), mimetype="text/html"))


def secure_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Pages show personal data: no caching; and no framing or foreign scripts.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def page(method, url, *, csrf=True):
    """Declare a page route; the function is called as ``fn(self, request, session, **path_values)``.

    With ``csrf=False`` the function must check the token itself (uploads check size first).
    """
    def decorate(fn):
        @functools.wraps(fn)
        def entry(self, request, **path):
            session = self.page_sessions.open(request, self.authenticator, self.identity)
            try:
                if csrf and request.method not in SAFE_METHODS:
                    session.check_csrf(request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
                response = fn(self, request, session, **path)
            except RefreshNeeded:
                response = refresh_redirect(request)
            except NotAuthenticated:
                if session.has_cookies:
                    session.end()
                response = login_redirect(request)
            except Exception as error:  # refusals and outages alike become a page in Chinese
                response = self.error_page(session, error)
            return secure_headers(session.apply(response))

        return PageHandler.decorator(method, url)(entry)

    return decorate


def redirect(location, msg=None, anchor=""):
    if msg:
        location += ("&" if "?" in location else "?") + urlencode({"msg": msg})
    return Response("", status=303, headers={"Location": location + anchor})


def refresh_redirect(request):
    """Through the refresh route and back: 303 for reads; 307 for forms, so the browser sends the
    same form again (to the refresh route, then here) and nothing typed is lost."""
    here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    status = 303 if request.method in SAFE_METHODS else 307
    return Response("", status=status, headers={"Location": f"{REFRESH_PATH}?{urlencode({'next': here})}"})


def login_redirect(request):
    here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    target = here if request.method in SAFE_METHODS else "/"
    return redirect(f"/login?next={quote(target, safe='/')}", msg="signin_needed")


def nav_links(principal):
    """The menu for whoever is signed in (by the roles they hold)."""
    links = [("/", "首页"), ("/publicity", "公示"), ("/certificates/verify", "证书查验")]
    if principal is None:
        return links + [("/login", "登录"), ("/register", "注册")]
    if principal.has("applicant"):
        links += [("/dossiers", "我的申报"), ("/units/join", "工作单位")]
    if principal.has("unit_admin", "district_admin", "city_admin", "auditor"):
        links += [("/review", "审核"), ("/progress", "进度")]
    if principal.has("unit_admin"):
        links.append(("/review/members", "成员确认"))
    if principal.has("city_admin", "committee_secretary", "auditor"):
        links += [("/committees", "评委会"), ("/meetings", "评审会议")]
    if principal.has("city_admin"):
        links += [("/admin/publicity", "公示管理"), ("/admin/role-requests", "角色审批")]
    if principal.has("city_admin", "auditor"):
        links += [("/admin/fees", "收费对账"), ("/admin/certificates", "证书管理")]
    if principal.has("expert"):
        links.append(("/expert", "评审表决"))
    return links


class PageBase:
    """Dependencies and answers every page mixin uses."""

    pages = Pages()
    page_sessions = PageSessions()

    def render_page(self, session, template, status=200, **context):
        me = session.known_principal
        html = self.pages.render(template, me=me, nav=nav_links(me), csrf_token=session.csrf_token,
                                 csrf_field=CSRF_FIELD, flash=FLASH.get(session.request.args.get("msg")),
                                 path=session.request.path, **context)
        return Response(html, status=status, mimetype="text/html")

    def error_page(self, session, error):
        status, body = error_body(error)
        response = self.render_page(session, "error.html", status=status, status_code=status, error=body["error"])
        for name, value in retry_headers(error, status).items():  # 429 and 503: when to come back
            response.headers[name] = value
        return response
