"""Accounts: register, sign in and out, refresh, password reset, who am I, admin accounts and roles,
and the role requests a second person of the city admin office confirms."""
from shared.roles import AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, SYSADMIN

from ..errors import json_response
from ..web import client_address, created, json_body, ok, query_args
from .http import http

# Who creates administrative accounts and grants their roles (a sysadmin's review roles wait for the city).
ACCOUNT_ADMINS = (SYSADMIN, CITY_ADMIN, DISTRICT_ADMIN)


def accepted_or(status, account):
    """202 while the city admin office still has to confirm the account's review role, else *status*."""
    return json_response(account, 202 if account.get("pending_role_requests") else status)


def bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class AuthRoutes:
    @http("POST", "/api/v1/auth/register")
    def register(self, request):
        account = self.identity.register(json_body(request), source_address=client_address(request))
        return created({"account_id": account["id"], "account": account})

    @http("POST", "/api/v1/auth/login")
    def login(self, request):
        """Sign in; failures slow the caller's address down (429 with Retry-After), never lock the account."""
        return ok(self.identity.login(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/refresh")
    def refresh(self, request):
        return ok(self.identity.refresh(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/logout")
    def logout(self, request):
        """End the session of ``refresh_token`` (or of the bearer token): its access tokens stop at once."""
        body = json_body(request)
        if not body.get("refresh_token") and not body.get("access_token") and bearer_token(request):
            body["access_token"] = bearer_token(request)
        return ok(self.identity.logout(body, source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password-reset/request")
    def request_password_reset(self, request):
        return ok(self.identity.request_password_reset(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password-reset/confirm")
    def confirm_password_reset(self, request):
        return ok(self.identity.confirm_password_reset(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password")
    def change_password(self, request):
        """Change the password; every session of the account ends, this one included."""
        principal = self.principal(request)
        actor = principal.primary_actor()
        return ok(self.identity.change_password(actor.to_dict(), json_body(request),
                                                source_address=client_address(request)))

    @http("GET", "/api/v1/me")
    def me(self, request):
        principal = self.principal(request)
        return ok(self.identity.get_account(principal.account_id))

    @http("POST", "/api/v1/accounts")
    def create_admin_account(self, request):
        """Admins create admin accounts; a sysadmin's review-role account waits for the city admin office (202)."""
        actor = self.principal(request).actor(*ACCOUNT_ADMINS)
        return accepted_or(201, self.identity.create_admin_account(actor.to_dict(), json_body(request)))

    @http("POST", "/api/v1/accounts/<account_id>/roles")
    def grant_role(self, request, account_id):
        """Give an account an administrative role ``{role, org_id}``; a sysadmin's grant of a review role is a request (202)."""
        actor = self.principal(request).actor(*ACCOUNT_ADMINS)
        body = {**json_body(request), "account_id": account_id}
        account = self.identity.grant_role(actor.to_dict(), body)
        pending = [r for r in account.get("pending_role_requests") or []
                   if (r["role"], r["org_id"]) == (body.get("role"), body.get("org_id"))]
        return json_response(account, 202 if pending else 200)

    @http("GET", "/api/v1/role-requests")
    def list_role_requests(self, request):
        """Role requests (``?status=pending|confirmed|refused|all``) for the city admin office to decide."""
        actor = self.principal(request).actor(CITY_ADMIN, SYSADMIN, AUDITOR)
        return ok({"items": self.identity.role_requests(actor.to_dict(), query_args(request))})

    @http("POST", "/api/v1/role-requests/<request_id>/confirm")
    def confirm_role_request(self, request, request_id):
        """A city admin other than the requester confirms: the role (and a new account) takes effect."""
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok(self.identity.confirm_role_request(actor.to_dict(), {"request_id": request_id}))

    @http("POST", "/api/v1/role-requests/<request_id>/refuse")
    def refuse_role_request(self, request, request_id):
        """The city admin office refuses a role request ``{reason?}``; nothing is granted."""
        actor = self.principal(request).actor(CITY_ADMIN)
        body = {**json_body(request), "request_id": request_id}
        return ok(self.identity.refuse_role_request(actor.to_dict(), body))
