"""Accounts: register, sign in and out, refresh, password reset, who am I, admin accounts."""
from .http import http
from .web import client_address, created, json_body, ok


class AuthRoutes:
    @http("POST", "/api/v1/auth/register")
    def register(self, request):
        account = self.identity.register(json_body(request), source_address=client_address(request))
        return created({"account_id": account["id"], "account": account})

    @http("POST", "/api/v1/auth/login")
    def login(self, request):
        return ok(self.identity.login(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/refresh")
    def refresh(self, request):
        return ok(self.identity.refresh(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/logout")
    def logout(self, request):
        return ok(self.identity.logout(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password-reset/request")
    def request_password_reset(self, request):
        return ok(self.identity.request_password_reset(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password-reset/confirm")
    def confirm_password_reset(self, request):
        return ok(self.identity.confirm_password_reset(json_body(request), source_address=client_address(request)))

    @http("POST", "/api/v1/auth/password")
    def change_password(self, request):
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
        """Admins create admin accounts; identity decides which roles each admin may create."""
        actor = self.principal(request).actor("sysadmin", "city_admin", "district_admin")
        return created(self.identity.create_admin_account(actor.to_dict(), json_body(request)))
