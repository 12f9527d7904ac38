"""Review pages for administrators: the scoped work queue (counts by status, filters, search, paging,
bulk selection, exports), bulk actions (unit publicity, 报送 batches, publishing), one dossier's review
page with every section, inline PDFs, earlier opinions, the full history and the decision forms,
batches, progress per organisation, and (unit admins) confirming new members.

The review service applies each role's scope and rules; these pages only choose the acting role
and show what it answered.
"""
from shared.contracts import dossier as st
from shared.contracts.identity import CONFIRMED, PENDING
from shared.errors import PermissionDenied, PlatformError, ValidationFailed
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, EXPERT, UNIT_ADMIN

from ..compose import next_step
from ..compose.acting import QUEUE_ROLES, REVIEWER_ROLES, decider
from ..compose.dossier_view import optional_call
from ..compose.dossiers import visible_dossier
from ..web import int_arg, query_args
from .base import PageBase, refusal
from .confirm import confirmed
from .handler import page, redirect
from .publicity import confirm_publishing
from .review_views import (
    PER_PAGE, decision_body, error_lines, form_version, paging, progress_chart, query_string, selected_ids,
    versions_from_form,
)
from .views import history_rows, progress_steps

__all__ = ["ReviewPages", "decision_body"]

DECISIONS = {"approve": "approve", "return": "return_for_changes", "reject": "reject"}
PAGE_FILTERS = ("status", "review_year", "series", "level", "q", "awaiting")
# Bulk actions on the queue and the role that takes each.
BULK_ACTIONS = {"unit_publicity": UNIT_ADMIN, "batch": UNIT_ADMIN, "publish": CITY_ADMIN}
BULK_TITLES = {"unit_publicity": "登记单位内部公示", "batch": "报送(批量提交)", "publish": "发布评审结果公示"}


def stale_page_decider(principal, dossier, form):
    """Who sends a decision made on a page rendered at an older version of the dossier, now no longer at
    this reviewer's step: the dossier service then refuses it saying who moved the dossier and where
    it stands — clearer than "not your step". None when the page was not stale."""
    seen = form_version(form.get("expected_version"))
    if not isinstance(seen, int) or seen == dossier["version"]:
        return None
    role = next((role for role, _ in principal.roles if role in REVIEWER_ROLES), None)
    return principal.actor(role) if role else None


def held_queue_roles(principal):
    return [role for role in QUEUE_ROLES if principal.has(role)]


def optional(value):
    value = (value or "").strip()
    return value or None


class ReviewPages(PageBase):
    def queue_actor(self, principal, wanted=None):
        """The role the queue is shown for: ``?role=`` when held, else the first of QUEUE_ROLES held."""
        held = held_queue_roles(principal)
        if not held:
            raise PermissionDenied("只有审核人员可以查看审核工作台")
        role = wanted if wanted in held else held[0]
        return principal.actor(role), held

    # -- the work queue ---------------------------------------------------------------------------

    @page("GET", "/review")
    def review_list(self, request, session):
        principal = session.principal()
        if not held_queue_roles(principal):
            if principal.has(APPLICANT):
                return redirect("/dossiers")
            if principal.has(EXPERT):
                return redirect("/expert")
        args = query_args(request, list_fields=("status",))
        actor, held = self.queue_actor(principal, args.get("role"))
        filters = {key: args[key] for key in PAGE_FILTERS if key in args}
        number = int_arg(args, "page", 1)
        listing = self.review.queue.call_async(actor.to_dict(), {**filters, "page": number, "per_page": PER_PAGE})
        scoped = {key: value for key, value in filters.items() if key not in ("status", "awaiting")}
        counts = self.review.queue_counts.call_async(actor.to_dict(), scoped)
        # 当前待办: the counts awaiting this role over its whole scope (the chips follow the filters).
        whole = self.review.queue_counts.call_async(actor.to_dict(), {}) if scoped else counts
        joining = (optional_call(self.identity.unit_members, actor.org_id, PENDING)
                   if actor.role == UNIT_ADMIN else None)
        listing = listing.result()
        for item in listing["items"]:
            item["my_turn"] = decider(principal, item) is not None
        keep = {key: args[key] for key in PAGE_FILTERS + ("role",) if key in args}
        members = joining() if joining else None
        todo = next_step.admin_card(actor.role, whole.result(), query_string({"role": actor.role}) if len(held) > 1 else "",
                                    members_pending=len(members) if isinstance(members, list) else None)
        return self.render_page(session, "review.html", listing=listing, counts=counts.result(), filters=args, todo=todo,
                                role=actor.role, roles=held, pager=paging(listing["total"], number),
                                query=query_string(keep), keep=keep, query_string=query_string,
                                statuses={code: text for code, text in st.STATUS_LABELS.items() if code != st.DRAFT})

    @page("POST", "/review/bulk")
    def review_bulk(self, request, session):
        """One action on the ticked dossiers (or on every dossier matching the queue's filters)."""
        principal = session.principal()
        action = request.form.get("action", "")
        if action not in BULK_ACTIONS:
            raise ValidationFailed("请选择要办理的事项")
        actor = principal.actor(BULK_ACTIONS[action]).to_dict()
        ids = selected_ids(request.form)
        if request.form.get("all_matching"):
            args = query_args(request, list_fields=("status",))  # the filters ride on the form's URL
            query = {key: args[key] for key in PAGE_FILTERS if key in args}
            ids = self.review.queue(actor, {**query, "include_ids": True, "per_page": 1})["ids"]
        if not ids:
            raise ValidationFailed("请先勾选要办理的申报材料")
        form, answer, message, fields, status = request.form, None, None, {}, 200
        try:
            if action == "unit_publicity":
                period = {"dossier_ids": ids, "start": optional(form.get("start")), "end": optional(form.get("end"))}
                answer = self.review.record_unit_publicity(actor, period)
            elif action == "batch":
                # The versions the list showed: a dossier moved since is named and the batch refused.
                answer = self.review.submit_batch(actor, {"dossier_ids": ids,
                                                          "expected_versions": versions_from_form(form, ids)})
                status = 200 if answer["saved"] else 409
            else:
                days = optional(form.get("working_days"))
                body = {"dossier_ids": ids, "start": optional(form.get("start")),
                        "working_days": int(days) if days and days.isdigit() else days,
                        "title": form.get("title", "").strip()}
                if not confirmed(request):
                    return confirm_publishing(self, session, request, body, back="/review")
                answer = self.review.publish(actor, body)
        except PlatformError as error:
            (message, fields), status = refusal(error), error.http_status
        names = self.dossier_names(actor, ids)
        problems = error_lines(fields, {dossier_id: row["applicant_name"] for dossier_id, row in names.items()})
        return self.render_page(session, "review_bulk.html", status=status, action=action, title=BULK_TITLES[action],
                                answer=answer, message=message, problems=problems, names=names)

    def dossier_names(self, actor, ids, limit=200):
        """``{dossier_id: queue row}`` of the first *limit* ids, asked concurrently (for showing results)."""
        pending = {dossier_id: self.review.queue_item.call_async(actor, dossier_id) for dossier_id in ids[:limit]}
        names = {}
        for dossier_id, reply in pending.items():
            try:
                names[dossier_id] = reply.result()
            except PlatformError:
                continue
        return names

    # -- one dossier ------------------------------------------------------------------------------

    @page("GET", "/review/<dossier_id>")
    def review_dossier(self, request, session, dossier_id):
        return self.review_view(session, dossier_id)

    def review_view(self, session, dossier_id, status=200, **extra):
        principal = session.principal()
        if not principal.has(*REVIEWER_ROLES, AUDITOR):
            raise PermissionDenied("只有审核人员可以审核申报材料")
        history = self.dossier.history.call_async(dossier_id)
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        actor = decider(principal, dossier)
        events = history.result()
        allowed = dossier["allowed_commands"] if actor else []
        rows = history_rows(events)
        return self.render_page(
            session, "review_dossier.html", status=status, dossier=dossier,
            steps=progress_steps(dossier["status"], events), events=[row for row in rows if row["workflow"]],
            all_events=rows,
            decisions=[action for action, command in DECISIONS.items() if command in allowed],
            can_record_unit_publicity=bool(actor and actor.role == UNIT_ADMIN and dossier["status"] == st.UNIT_APPROVED),
            form_values=extra.pop("form_values", {}), form_errors=extra.pop("form_errors", {}), **extra)

    @page("POST", "/review/<dossier_id>/decision")
    def decide_page(self, request, session, dossier_id):
        principal = session.principal()
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        actor = decider(principal, dossier) or stale_page_decider(principal, dossier, request.form)
        if actor is None:
            raise PermissionDenied("该申报材料当前不在您的审核环节")
        body = decision_body(request.form)
        try:
            self.review.decide(actor.to_dict(), dossier_id, body)
        except PlatformError as error:
            message, fields = refusal(error)
            return self.review_view(session, dossier_id, status=error.http_status, message=message,
                                    form_values={body["action"]: body}, form_errors={body["action"]: fields})
        return redirect("/review", msg="decided")

    # -- batches and progress -----------------------------------------------------------------------

    @page("GET", "/review/batches")
    def batches_page(self, request, session):
        actor = session.principal().actor(*REVIEWER_ROLES, AUDITOR).to_dict()
        args = query_args(request)
        batch, names = None, {}
        if args.get("id"):
            batch = self.review.get_batch(actor, args["id"])
            names = self.dossier_names(actor, [entry["dossier_id"] for entry in batch["dossiers"]])
        batches = self.review.list_batches(actor, {"per_page": 50})
        return self.render_page(session, "review_batches.html", batches=batches, batch=batch, names=names)

    @page("GET", "/progress")
    def progress_page(self, request, session):
        principal = session.principal()
        args = query_args(request)
        actor, held = self.queue_actor(principal, args.get("role"))
        query = {"review_year": args["review_year"]} if args.get("review_year") else {}
        progress = self.review.progress(actor.to_dict(), query)
        return self.render_page(session, "progress.html", progress=progress, chart=progress_chart(progress["groups"]),
                                role=actor.role, roles=held, filters=args)

    # -- unit members ------------------------------------------------------------------------------

    @page("GET", "/review/members")
    def members_page(self, request, session):
        actor = session.principal().actor(UNIT_ADMIN)
        pending = self.identity.unit_members.call_async(actor.org_id, PENDING)
        confirmed = self.identity.unit_members.call_async(actor.org_id, CONFIRMED)
        unit = self.identity.get_org(actor.org_id)
        return self.render_page(session, "members.html", unit=unit, pending=pending.result(),
                                confirmed=confirmed.result())

    @page("POST", "/review/members/<membership_id>/confirm")
    def confirm_member_page(self, request, session, membership_id):
        actor = session.principal().actor(UNIT_ADMIN)
        self.identity.confirm_membership(actor.to_dict(), {"membership_id": membership_id})
        return redirect("/review/members", msg="member_confirmed")

    @page("POST", "/review/members/<membership_id>/reject")
    def reject_member_page(self, request, session, membership_id):
        actor = session.principal().actor(UNIT_ADMIN)
        reason = request.form.get("reason", "").strip() or "不属于本单位人员"
        self.identity.reject_membership(actor.to_dict(), {"membership_id": membership_id, "reason": reason})
        return redirect("/review/members", msg="member_rejected")
