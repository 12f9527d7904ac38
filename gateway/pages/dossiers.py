"""Pages for the applicant's dossiers: the list with progress and events, creating one, the editor
with every section, materials, the eligibility check, preview, submit, withdraw and the history."""
from shared.contracts import dossier as st
from shared.errors import NotFound, PlatformError, ValidationFailed
from shared.roles import APPLICANT
from shared.titles import LEVELS, SERIES

from ..compose import materials
from ..compose.acting import REVIEWER_ROLES
from ..compose.dossier_view import money_and_certificate
from ..compose.dossiers import open_dossier, own_dossier, sanctions_of, scope_filter, visible_dossier
from .base import PageBase, refusal
from .forms import SECTION_FORMS, achievement_data, section_data
from .handler import page, redirect
from .views import continuing_education_summary, flatten_errors, history_rows, open_notices, progress_steps

# Before the city accepts a dossier there is no fee and no certificate to ask about.
BEFORE_FEES = (st.DRAFT, st.SUBMITTED, st.RETURNED, st.UNIT_APPROVED, st.RECOMMENDED, st.DISTRICT_APPROVED)
LIST_SECTIONS = [name for name, form in SECTION_FORMS.items() if form.is_list]


def notice_choices(notices):
    """The open review years with their open series and levels, for the new-dossier form."""
    return [{"year": notice["review_year"], "title": notice["notice"].get("title", ""),
             "series": [{"code": code, "label": SERIES.get(code, code),
                         "levels": [(level, LEVELS.get(level, level)) for level in levels]}
                        for code, levels in notice["notice"]["open_series"].items()]}
            for notice in notices]


def saved_values(dossier):
    """Each section's stored data, as the forms show it."""
    sections = dossier.get("sections") or {}
    values = {}
    for name, form in SECTION_FORMS.items():
        stored = sections.get(name)
        values[name] = list(stored or []) if form.is_list else dict(stored or {})
    return values


def submit_problems(error):
    """A refused submission as ``(every message, {section: [messages]})`` for the editor."""
    fields = getattr(error, "fields", None) or {}
    messages, by_section = [], {}
    for key, found in flatten_errors(fields).items():
        head = key.split("-")[0]
        for text in found:
            label = st.SECTIONS.get(head) or st.ELIGIBILITY_RULES.get(head) or ""
            messages.append(f"{label}:{text}" if label else text)
            if head in st.SECTIONS:
                by_section.setdefault(head, []).append(text)
    return messages, by_section


class DossierPages(PageBase):
    # -- the list --------------------------------------------------------------------------------

    @page("GET", "/dossiers")
    def my_dossiers(self, request, session):
        principal = session.principal()
        if not principal.has(APPLICANT):
            return redirect("/review" if principal.has(*REVIEWER_ROLES) else "/")
        account = self.identity.get_account.call_async(principal.account_id)
        listing = self.dossier.list({**scope_filter(principal, APPLICANT), "per_page": 50})
        histories = [self.dossier.history.call_async(item["dossier_id"]) for item in listing["items"]]
        cards = []
        for item, history in zip(listing["items"], histories, strict=True):
            events = history.result()
            cards.append({"summary": item, "steps": progress_steps(item["status"], events),
                          "events": [row for row in history_rows(events) if row["workflow"]]})
        return self.render_page(session, "dossiers.html", cards=cards, account=account.result())

    # -- a new dossier ---------------------------------------------------------------------------

    @page("GET,POST", "/dossiers/new")
    def new_dossier(self, request, session):
        principal = session.principal()
        principal.actor(APPLICANT)  # only applicants open dossiers
        notices = open_notices(self.dossier.list_notices())
        values, errors, message, status = {}, {}, None, 200
        if request.method == "POST":
            values = {name: request.form.get(name, "").strip() for name in ("review_year", "series", "specialty", "level")}
            try:
                year = values["review_year"]
                fields = {**values, "review_year": int(year) if year.isdigit() else year}
                created = open_dossier(self.identity, self.dossier, principal, fields)
                return redirect(f"/dossiers/{created['id']}", msg="created")
            except PlatformError as error:
                (message, errors), status = refusal(error), error.http_status
        elif notices:
            values = {"review_year": str(notices[0]["review_year"])}
        return self.render_page(session, "new_dossier.html", status=status,
                                choices=notice_choices(notices), values=values, errors=errors, message=message)

    # -- the editor ------------------------------------------------------------------------------

    @page("GET", "/dossiers/<dossier_id>")
    def edit_dossier(self, request, session, dossier_id):
        principal = session.principal()
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        if dossier["applicant_id"] != principal.account_id:
            return redirect(f"/review/{dossier_id}")
        return self.editor(session, dossier)

    def editor(self, session, dossier, status=200, form_values=None, errors=None, **extra):
        """The editor page; after a refused form, *form_values* and *errors* (by section) show it again."""
        history = self.dossier.history.call_async(dossier["id"])
        notice = self.dossier.get_notice.call_async(dossier["review_year"])
        money = (money_and_certificate(self.payment, self.certificate, dossier)
                 if dossier["status"] not in BEFORE_FEES else {})
        try:
            requirement = notice.result()["policy"]["continuing_education"]
        except PlatformError:
            requirement = {}
        events = history.result()
        values = {**saved_values(dossier), **(form_values or {})}
        notice_of_return = dossier.get("return_notice") if dossier["status"] == st.RETURNED else None
        return self.render_page(
            session, "editor.html", status=status, dossier=dossier, steps=progress_steps(dossier["status"], events),
            events=[row for row in history_rows(events) if row["workflow"]], values=values, errors=errors or {},
            ce=continuing_education_summary((dossier.get("sections") or {}).get("continuing_education"), requirement),
            editable="update_basic_info" in dossier["allowed_commands"],
            can_submit="submit" in dossier["allowed_commands"],
            can_withdraw="withdraw" in dossier["allowed_commands"],
            return_notice=notice_of_return, flagged=set((notice_of_return or {}).get("sections") or []),
            list_sections=LIST_SECTIONS, rules=st.ELIGIBILITY_RULES, **money, **extra)

    @page("POST", "/dossiers/<dossier_id>/sections/<section>")
    def save_section(self, request, session, dossier_id, section):
        if section not in SECTION_FORMS:
            raise NotFound("没有这个栏目")
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        data, values = section_data(section, request.form)
        try:
            self.dossier.update_section(actor.to_dict(), dossier_id, section, data)
        except PlatformError as error:
            message, fields = refusal(error)
            return self.editor(session, dossier, status=error.http_status, form_values={section: values},
                               errors={section: fields}, message=message, focus=section)
        return redirect(f"/dossiers/{dossier_id}", msg="saved", anchor=f"#sec-{section}")

    @page("POST", "/dossiers/<dossier_id>/achievements")
    def add_achievement_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        data, values = achievement_data(request.form)
        try:
            self.dossier.add_achievement(actor.to_dict(), dossier_id, data)
        except PlatformError as error:
            message, fields = refusal(error)
            return self.editor(session, dossier, status=error.http_status, achievement_values=values,
                               errors={"achievements": fields}, message=message, focus="achievements")
        return redirect(f"/dossiers/{dossier_id}", msg="achievement_added", anchor="#sec-achievements")

    @page("POST", "/dossiers/<dossier_id>/achievements/<achievement_id>/remove")
    def remove_achievement_page(self, request, session, dossier_id, achievement_id):
        actor, _ = own_dossier(self.dossier, session.principal(), dossier_id)
        self.dossier.remove_achievement(actor.to_dict(), dossier_id, achievement_id)
        return redirect(f"/dossiers/{dossier_id}", msg="achievement_removed", anchor="#sec-achievements")

    # -- materials -------------------------------------------------------------------------------

    @page("POST", "/dossiers/<dossier_id>/materials", csrf=False)
    def upload_material_page(self, request, session, dossier_id):
        """The upload without scripts (the page's script posts to the JSON route and shows progress)."""
        limit = self.settings["UPLOADS"]["MAX_BYTES"]
        materials.refuse_oversized(request, limit)
        session.check_csrf(request.form.get("csrf_token"))
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        try:
            materials.store_material(self.evidence, self.dossier, actor, dossier_id, request.form.get("category", ""),
                                     request.files.get("file"), limit)
        except PlatformError as error:
            message, fields = refusal(error)
            return self.editor(session, dossier, status=error.http_status, errors={"materials": fields},
                               message=message, focus="materials")
        return redirect(f"/dossiers/{dossier_id}", msg="material_uploaded", anchor="#sec-materials")

    @page("GET", "/dossiers/<dossier_id>/materials/<material_id>")
    def view_material(self, request, session, dossier_id, material_id):
        """The preview the review page frames (inline, sandboxed); ``?download=1`` saves it instead."""
        dossier = visible_dossier(self.dossier, session.principal(), dossier_id)
        return materials.material_file(self.evidence, dossier, material_id, inline=not request.args.get("download"))

    @page("POST", "/dossiers/<dossier_id>/materials/<material_id>/remove")
    def remove_material_page(self, request, session, dossier_id, material_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        materials.detach_material(self.dossier, actor, dossier, material_id)
        return redirect(f"/dossiers/{dossier_id}", msg="material_removed", anchor="#sec-materials")

    # -- check, submit, withdraw -----------------------------------------------------------------

    @page("POST", "/dossiers/<dossier_id>/eligibility")
    def eligibility_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        result = self.dossier.check_eligibility(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id))
        return self.editor(session, dossier, eligibility=result, focus="actions")

    @page("POST", "/dossiers/<dossier_id>/submit")
    def submit_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        try:
            self.dossier.submit(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id))
        except ValidationFailed as error:
            messages, by_section = submit_problems(error)
            return self.editor(session, dossier, status=error.http_status, message=error.message,
                               submit_messages=messages, errors={name: {"_section": found}
                                                                 for name, found in by_section.items()},
                               focus="actions")
        except PlatformError as error:
            return self.editor(session, dossier, status=error.http_status, message=error.message, focus="actions")
        return redirect(f"/dossiers/{dossier_id}", msg=st.SUBMITTED)

    @page("POST", "/dossiers/<dossier_id>/withdraw")
    def withdraw_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        try:
            self.dossier.withdraw(actor.to_dict(), dossier_id, request.form.get("reason", "").strip())
        except PlatformError as error:
            return self.editor(session, dossier, status=error.http_status, message=error.message, focus="actions")
        return redirect("/dossiers", msg=st.WITHDRAWN)

    # -- reading ---------------------------------------------------------------------------------

    @page("GET", "/dossiers/<dossier_id>/preview")
    def preview_page(self, request, session, dossier_id):
        dossier = visible_dossier(self.dossier, session.principal(), dossier_id)
        return self.render_page(session, "preview.html", dossier=dossier)

    @page("GET", "/dossiers/<dossier_id>/history")
    def history_page(self, request, session, dossier_id):
        principal = session.principal()
        history = self.dossier.history.call_async(dossier_id)
        verified = self.dossier.verify.call_async(dossier_id)
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        events = history.result()
        return self.render_page(session, "history.html", dossier=dossier, rows=history_rows(events),
                                steps=progress_steps(dossier["status"], events), verified=verified.result())
