"""Publicity pages: the PUBLIC list and the objection form (no login; name, unit, series, specialty and
level only, never an ID number), the city admin's publishing and objection handling, running due
jobs, and the working-day calendar the city admin maintains."""
from shared.clock import beijing_today
from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.roles import AUDITOR, CITY_ADMIN

from ..web import client_address, int_arg, query_args
from .base import PageBase, refusal
from .confirm import ask_to_confirm, confirmed
from .handler import page, redirect
from .review_views import error_lines, selected_ids

OBJECTION_FIELDS = ("dossier_id", "contact", "facts", "name")


class PublicityPages(PageBase):
    # -- the public side ------------------------------------------------------------------------

    @page("GET", "/publicity")
    def public_publicities(self, request, session):
        session.optional_principal()
        return self.render_page(session, "publicity_list.html", publicities=self.review.list_publicities())

    @page("GET", "/publicity/<publicity_id>")
    def public_publicity(self, request, session, publicity_id):
        session.optional_principal()
        return self.public_publicity_view(session, publicity_id, chosen=query_args(request).get("dossier"))

    def public_publicity_view(self, session, publicity_id, status=200, **extra):
        publicity = self.review.get_publicity(publicity_id)
        return self.render_page(session, "publicity.html", status=status, publicity=publicity,
                                values=extra.pop("values", {}), errors=extra.pop("errors", {}), **extra)

    @page("POST", "/publicity/<publicity_id>/objections")
    def lodge_objection_page(self, request, session, publicity_id):
        session.optional_principal()
        values = {name: request.form.get(name, "").strip() for name in OBJECTION_FIELDS}
        try:
            answer = self.review.lodge_objection(publicity_id, values, client_address(request))
        except PlatformError as error:
            message, errors = refusal(error)
            return self.public_publicity_view(session, publicity_id, status=error.http_status, message=message,
                                              values=values, errors=errors, chosen=values["dossier_id"])
        return self.public_publicity_view(session, publicity_id, lodged=answer)

    # -- the city admin -------------------------------------------------------------------------

    @page("GET", "/admin/publicity")
    def publicity_admin(self, request, session):
        return self.publicity_admin_view(session)

    def publicity_admin_view(self, session, status=200, **extra):
        actor = session.principal().actor(CITY_ADMIN, AUDITOR).to_dict()
        passed = self.review.queue.call_async(actor, {"status": [st.PASSED], "per_page": 200})
        publicities = self.review.list_publicities()
        passed = passed.result()
        names = {row["dossier_id"]: row["applicant_name"] for row in passed["items"]}
        return self.render_page(session, "publicity_admin.html", status=status, passed=passed,
                                publicities=publicities, can_manage=actor["role"] == CITY_ADMIN,
                                today=beijing_today().isoformat(),
                                problems=error_lines(extra.pop("errors", {}), names), **extra)

    @page("POST", "/admin/publicity")
    def publish_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        form = request.form
        days = form.get("working_days", "").strip()
        body = {"dossier_ids": selected_ids(form), "start": form.get("start", "").strip() or None,
                "working_days": int(days) if days.isdigit() else (days or None), "title": form.get("title", "").strip()}
        if not confirmed(request) and body["dossier_ids"]:
            return confirm_publishing(self, session, request, body, back="/admin/publicity")
        try:
            answer = self.review.publish(actor, body)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.publicity_admin_view(session, status=error.http_status, message=message, errors=errors)
        return redirect(f"/admin/publicity/{answer['id']}", msg="published")

    @page("GET", "/admin/publicity/<publicity_id>")
    def publicity_admin_detail(self, request, session, publicity_id):
        return self.publicity_detail_view(session, publicity_id)

    def publicity_detail_view(self, session, publicity_id, status=200, **extra):
        actor = session.principal().actor(CITY_ADMIN, AUDITOR).to_dict()
        objections = self.review.list_objections.call_async(actor, {"publicity_id": publicity_id})
        detail = self.review.publicity_detail(actor, publicity_id)
        names = {entry["dossier_id"]: entry["applicant_name"] for entry in detail["entries"]}
        return self.render_page(session, "publicity_admin_detail.html", status=status, publicity=detail,
                                objections=objections.result(), names=names,
                                can_manage=actor["role"] == CITY_ADMIN, **extra)

    @page("POST", "/admin/objections/<objection_id>/resolve")
    def resolve_objection_page(self, request, session, objection_id):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        form = request.form
        body = {"outcome": form.get("outcome", ""), "reason": form.get("reason", "").strip(),
                "fraud": form.get("fraud") == "1"}
        publicity_id = form.get("publicity_id", "")
        try:
            self.review.resolve_objection(actor, objection_id, body)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.publicity_detail_view(session, publicity_id, status=error.http_status, message=message,
                                              failed=objection_id, errors=errors)
        return redirect(f"/admin/publicity/{publicity_id}", msg="objection_resolved")

    @page("POST", "/admin/timers/run")
    def run_timers_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        self.review.run_timers(actor)
        target = request.form.get("back", "")
        return redirect(target if target.startswith("/admin/publicity") else "/admin/publicity", msg="timers_run")

    # -- the working-day calendar ---------------------------------------------------------------

    @page("GET,POST", "/calendar")
    def calendar_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        args = query_args(request)
        year = int_arg(args, "year", beijing_today().year)
        message, errors, status, preview = None, {}, 200, None
        if request.method == "POST":
            form = request.form
            year = int(form.get("year", year)) if form.get("year", "").isdigit() else year
            body = {"year": year, "days_off": _lines(form.get("days_off")), "workdays": _lines(form.get("workdays")),
                    "source": form.get("source", "").strip()}
            try:
                self.review.set_calendar_year(actor, body)
                return redirect(f"/calendar?year={year}", msg="calendar_saved")
            except PlatformError as error:
                (message, errors), status = refusal(error), error.http_status
        if args.get("start") and args.get("working_days"):
            try:
                preview = self.review.working_days({"start": args["start"], "working_days": args["working_days"]})
            except PlatformError as error:
                message = error.message
        return self.render_page(session, "calendar.html", status=status, calendar=self.review.calendar_year(year),
                                year=year, message=message, errors=errors, preview=preview, filters=args,
                                years=[year - 1, year, year + 1])


def confirm_publishing(pages, session, request, body, back):
    """发布公示 puts names on the public page at once and cannot be taken back: say so first."""
    days = body.get("working_days")
    facts = [("公示标题", body.get("title") or "(默认标题)"), ("申报材料", f"{len(body['dossier_ids'])} 件"),
             ("公示开始", body.get("start") or f"{beijing_today().isoformat()}(今天)"),
             ("公示期", f"{days} 个工作日" if days else "默认期限(不少于 5 个工作日)")]
    lines = ["发布后,申报人姓名、单位、系列、专业和级别即在公开的公示页面显示,任何人可提出异议。",
             "公示发布后不能撤回;公示期满无异议的,按期发放电子证书。"]
    return ask_to_confirm(pages, session, request, title="确认发布公示", button="确认发布公示", back=back,
                          facts=facts, lines=lines)


def _lines(text):
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]

