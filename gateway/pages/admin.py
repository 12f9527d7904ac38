"""The city admin office's page for role requests: a review role that a sysadmin asked for takes effect
only when a second person of the office confirms it here (or refuses it, with a reason)."""
from shared.contracts.identity import PENDING
from shared.roles import CITY_ADMIN

from .base import PageBase
from .handler import page, redirect


class AdminPages(PageBase):
    @page("GET", "/admin/role-requests")
    def role_requests_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN)
        pending = self.identity.role_requests.call_async(actor.to_dict(), {"status": PENDING})
        decided = self.identity.role_requests.call_async(actor.to_dict(), {"status": "all", "limit": 50})
        return self.render_page(session, "role_requests.html", pending=pending.result(),
                                decided=[item for item in decided.result() if item["status"] != PENDING])

    @page("POST", "/admin/role-requests/<request_id>/confirm")
    def confirm_role_request_page(self, request, session, request_id):
        actor = session.principal().actor(CITY_ADMIN)
        self.identity.confirm_role_request(actor.to_dict(), {"request_id": request_id})
        return redirect("/admin/role-requests", msg="role_request_confirmed")

    @page("POST", "/admin/role-requests/<request_id>/refuse")
    def refuse_role_request_page(self, request, session, request_id):
        actor = session.principal().actor(CITY_ADMIN)
        reason = request.form.get("reason", "").strip() or None
        self.identity.refuse_role_request(actor.to_dict(), {"request_id": request_id, "reason": reason})
        return redirect("/admin/role-requests", msg="role_request_refused")
