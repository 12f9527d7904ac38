"""Pages for accounts: home, register, sign in and out, session refresh, password reset, joining a unit."""
from urllib.parse import urlencode

from werkzeug import Response

from shared.errors import NotAuthenticated, PlatformError
from shared.roles import APPLICANT, COMMITTEE_SECRETARY, EXPERT

from ..compose.acting import REVIEWER_ROLES
from ..errors import json_response
from ..web import client_address
from .base import PageBase, refusal
from .handler import page, redirect
from .session import CSRF_FIELD, CSRF_HEADER, REFRESH_PATH, check_csrf, safe_next
from .notice_views import home_notices, public_notice


def landing_for(roles):
    """Where a person goes after signing in, by the role codes they hold."""
    held = set(roles)
    if APPLICANT in held:
        return "/dossiers"
    if held & set(REVIEWER_ROLES):
        return "/review"
    if EXPERT in held:
        return "/expert"
    if COMMITTEE_SECRETARY in held:
        return "/meetings"
    return "/"


def with_retry_after(response, error):
    """A throttled form answer tells the browser (and any script) when to come back."""
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def login_redirect_to(target):
    """To the login page, coming back to *target* afterwards (a form's page, not the form itself)."""
    return redirect(f"/login?{urlencode({'next': target})}", msg="signin_needed")


class AccountPages(PageBase):
    @page("GET", "/")
    def home(self, request, session):
        session.optional_principal()
        # Open and upcoming notices (or the latest one), as the public reads them (notice_views.py).
        notices = [{**record, "public": public_notice(record["notice"], record["policy"])}
                   for record in home_notices(self.dossier.list_notices())]
        return self.render_page(session, "home.html", notices=notices)

    # -- register, sign in, sign out --------------------------------------------------------------

    @page("GET,POST", "/register")
    def register_page(self, request, session):
        values, errors, message, status = {}, {}, None, 200
        if request.method == "POST":
            form = request.form
            values = {name: form.get(name, "").strip() for name in ("name", "id_number", "phone")}
            if form.get("password", "") != form.get("password_confirm", ""):
                errors, status = {"password_confirm": ["两次输入的密码不一致"]}, 422
            else:
                try:
                    self.identity.register({**values, "password": form.get("password", "")},
                                           source_address=client_address(request))
                    return redirect("/login", msg="registered")
                except PlatformError as error:
                    (message, errors), status = refusal(error), error.http_status
        return self.render_page(session, "register.html", status=status,
                                values=values, errors=errors, message=message)

    @page("GET,POST", "/login")
    def login_page(self, request, session):
        target = safe_next(request.values.get("next"), default="")
        values, errors, message, status = {}, {}, None, 200
        if request.method == "POST":
            values = {"username": request.form.get("username", "").strip()}
            try:
                tokens = self.identity.login({**values, "password": request.form.get("password", "")},
                                             source_address=client_address(request))
            except PlatformError as error:
                (message, errors), status = refusal(error), error.http_status
                return with_retry_after(self.render_page(session, "login.html", status=status, values=values,
                                                         errors=errors, message=message, next=target), error)
            else:
                session.start(tokens)
                return redirect(target or landing_for(role["role"] for role in tokens["account"]["roles"]))
        else:
            signed_in = session.optional_principal()
            if signed_in is not None:
                return redirect(target or landing_for(role for role, _ in signed_in.roles))
        return self.render_page(session, "login.html", status=status, values=values,
                                errors=errors, message=message, next=target)

    @page("POST", "/logout")
    def logout_page(self, request, session):
        """End this sign-in: its access cookie stops working at once, everywhere."""
        access_token = session.access_token
        if access_token:
            try:
                self.identity.logout({"access_token": access_token}, source_address=client_address(request))
            except PlatformError:
                pass  # already signed out: the cookies go anyway
        session.end()
        return redirect("/", msg="signed_out")

    @page("GET,POST", REFRESH_PATH, csrf=False)
    def refresh_session(self, request, session):
        """Renew the cookies with the refresh cookie (which travels only here), then go back.

        With ``?next=`` a page was sent here: reads come back with 303, forms with 307 (the browser
        repeats the form, whose CSRF token the page then checks against the sign-in). Without it a
        script whose API call got 401 asks, and gets JSON.
        """
        target = safe_next(request.args.get("next"), default="")
        if request.method == "POST":
            # Renewing cookies changes nothing a forger could use; the page behind it checks the
            # sign-in's own token. Here the double-submit check keeps other sites out.
            check_csrf(request, request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
        try:
            session.principal()
        except NotAuthenticated as error:
            session.end()
            if not target:
                return json_response({"error": error.to_dict()}, 401)
            # A form's address cannot be opened after signing in; a page's can.
            return login_redirect_to(target if request.method == "GET" else "/")
        if not target:
            return json_response({"ok": True})
        return Response("", status=307 if request.method == "POST" else 303, headers={"Location": target})

    # -- password reset by SMS code -------------------------------------------------------------

    @page("GET,POST", "/password-reset")
    def password_reset_page(self, request, session):
        """Step 1: the phone number; step 2 (after the code is sent, or ?step=confirm): code and new password."""
        phone = request.values.get("phone", "").strip()
        step, errors, message, notice, status = request.args.get("step", "request"), {}, None, None, 200
        if request.method == "POST":
            try:
                answer = self.identity.request_password_reset({"phone": phone}, source_address=client_address(request))
                step, notice = "confirm", answer.get("message")
            except PlatformError as error:
                (message, errors), status = refusal(error), error.http_status
                if error.code == "reset_requested_too_soon":
                    step = "confirm"  # the code sent a moment ago is still good
        return self.render_page(session, "password_reset.html", status=status,
                                step="confirm" if step == "confirm" else "request", values={"phone": phone},
                                errors=errors, message=message, notice=notice)

    @page("POST", "/password-reset/confirm")
    def password_reset_confirm_page(self, request, session):
        form = request.form
        values = {"phone": form.get("phone", "").strip(), "code": form.get("code", "").strip()}
        errors, message, status = {"new_password_confirm": ["两次输入的密码不一致"]}, None, 422
        if form.get("new_password", "") == form.get("new_password_confirm", ""):
            try:
                self.identity.confirm_password_reset({**values, "new_password": form.get("new_password", "")},
                                                     source_address=client_address(request))
                return redirect("/login", msg="password_reset")
            except PlatformError as error:
                (message, errors), status = refusal(error), error.http_status
        return self.render_page(session, "password_reset.html", status=status, step="confirm", values=values,
                                errors=errors, message=message, notice=None)

    # -- joining a work unit ----------------------------------------------------------------------

    @page("GET", "/units/join")
    def join_unit_page(self, request, session):
        return self.join_unit_view(request, session)

    @page("POST", "/units/join")
    def join_unit(self, request, session):
        actor = session.principal().actor(APPLICANT)
        try:
            self.identity.request_membership(actor.to_dict(), {"unit_id": request.form.get("unit_id", "")})
        except PlatformError as error:
            return self.join_unit_view(request, session, message=error.message, status=error.http_status)
        return redirect("/units/join", msg="membership_requested")

    def join_unit_view(self, request, session, message=None, status=200):
        principal = session.principal()
        principal.actor(APPLICANT)
        query = request.args.get("q", "").strip()
        account = self.identity.get_account.call_async(principal.account_id)
        units = self.identity.list_orgs({"kind": "unit", **({"q": query} if query else {})})
        return self.render_page(session, "join_unit.html", status=status, account=account.result(),
                                units=units[:50], query=query, message=message)
