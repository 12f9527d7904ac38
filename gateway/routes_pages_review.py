"""A small review view for administrators: the dossiers in their scope, one dossier with the
approve / return / reject forms when it is their turn, and (unit admins) confirming new members.
The full administration UI is a later issue."""
from services.dossier import statuses as st
from shared.errors import PermissionDenied, PlatformError

from .page_http import PageBase, page, redirect
from .page_views import history_rows, progress_steps
from .routes_dossiers import decider
from .routes_pages_account import REVIEWER_ROLES, refusal
from .web import int_arg, query_args

DECISIONS = {"approve": "approve", "return": "return_for_changes", "reject": "reject"}


def decision_body(form):
    """The decision form as the decisions API's body; the dossier aggregate checks reason and sections."""
    action = form.get("action", "")
    if action == "approve":
        return {"action": action, "opinion": form.get("opinion", "").strip()}
    if action == "return":
        return {"action": action, "reason": form.get("reason", "").strip(), "sections": form.getlist("sections")}
    return {"action": action, "reason": form.get("reason", "").strip()}


class ReviewPages(PageBase):
    @page("GET", "/review")
    def review_list(self, request, session):
        principal = session.principal()
        role = next((role for role in ("city_admin", "district_admin", "unit_admin") if principal.has(role)), None)
        if role is None:
            if principal.has("applicant"):
                return redirect("/dossiers")
            raise PermissionDenied("只有审核人员可以查看审核列表")
        args = query_args(request, list_fields=("status",))
        query = {key: args[key] for key in ("status", "q") if key in args}
        query.update(page=int_arg(args, "page", 1), per_page=50, **self.scope_filter(principal, role))
        listing = self.dossier.list(query)
        for item in listing["items"]:
            item["my_turn"] = decider(principal, item) is not None
        return self.render_page(session, "review.html", listing=listing, filters=args,
                                statuses=st.STATUS_LABELS)

    @page("GET", "/review/<dossier_id>")
    def review_dossier(self, request, session, dossier_id):
        return self.review_view(session, dossier_id)

    def review_view(self, session, dossier_id, status=200, **extra):
        principal = session.principal()
        if not principal.has(*REVIEWER_ROLES, "auditor"):
            raise PermissionDenied("只有审核人员可以审核申报材料")
        history = self.dossier.history.call_async(dossier_id)
        dossier = self.visible_dossier(principal, dossier_id)
        events = history.result()
        actor = decider(principal, dossier)
        allowed = dossier["allowed_commands"] if actor else []
        return self.render_page(
            session, "review_dossier.html", status=status, dossier=dossier,
            steps=progress_steps(dossier["status"], events),
            events=[row for row in history_rows(events) if row["workflow"]],
            decisions=[action for action, command in DECISIONS.items() if command in allowed],
            form_values=extra.pop("form_values", {}), form_errors=extra.pop("form_errors", {}), **extra)

    @page("POST", "/review/<dossier_id>/decision")
    def decide_page(self, request, session, dossier_id):
        principal = session.principal()
        dossier = self.visible_dossier(principal, dossier_id)
        actor = decider(principal, dossier)
        if actor is None:
            raise PermissionDenied("该申报材料当前不在您的审核环节")
        body = decision_body(request.form)
        try:
            self.dossier.decide(actor.to_dict(), dossier_id, body)
        except PlatformError as error:
            message, fields = refusal(error)
            return self.review_view(session, dossier_id, status=error.http_status, message=message,
                                    form_values={body["action"]: body}, form_errors={body["action"]: fields})
        return redirect("/review", msg="decided")

    # -- unit members ------------------------------------------------------------------------------

    @page("GET", "/review/members")
    def members_page(self, request, session):
        actor = session.principal().actor("unit_admin")
        pending = self.identity.unit_members.call_async(actor.org_id, "pending")
        confirmed = self.identity.unit_members.call_async(actor.org_id, "confirmed")
        unit = self.identity.get_org(actor.org_id)
        return self.render_page(session, "members.html", unit=unit, pending=pending.result(),
                                confirmed=confirmed.result())

    @page("POST", "/review/members/<membership_id>/confirm")
    def confirm_member_page(self, request, session, membership_id):
        actor = session.principal().actor("unit_admin")
        self.identity.confirm_membership(actor.to_dict(), {"membership_id": membership_id})
        return redirect("/review/members", msg="member_confirmed")

    @page("POST", "/review/members/<membership_id>/reject")
    def reject_member_page(self, request, session, membership_id):
        actor = session.principal().actor("unit_admin")
        reason = request.form.get("reason", "").strip() or "不属于本单位人员"
        self.identity.reject_membership(actor.to_dict(), {"membership_id": membership_id, "reason": reason})
        return redirect("/review/members", msg="member_rejected")
