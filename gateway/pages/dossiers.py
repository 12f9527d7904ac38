"""Pages for the applicant's dossiers: the list with progress and events, creating one, the editor
with every section, materials, the eligibility check, preview, submit, take back (撤回), withdraw and the
history."""
from urllib.parse import urlencode

from shared.contracts import dossier as st
from shared.errors import NotFound, PlatformError, ValidationFailed
from shared.roles import APPLICANT
from shared.titles import LEVELS, SERIES

from ..compose import materials, next_step
from ..compose.acting import REVIEWER_ROLES
from ..compose.dossier_view import money_and_certificate
from ..compose.dossiers import open_dossier, own_dossier, sanctions_of, scope_filter, visible_dossier
from ..compose.next_step_facts import list_facts, start_org
from .base import FLASH, PageBase, refusal
from .confirm import ask_to_confirm, confirmed
from .forms import SECTION_FORMS, achievement_data, section_data
from .handler import page, redirect
from .views import continuing_education_summary, flatten_errors, history_rows, open_notices, progress_steps

# Before the city accepts a dossier there is no fee and no certificate to ask about.
BEFORE_FEES = (st.DRAFT, st.SUBMITTED, st.RETURNED, st.UNIT_APPROVED, st.RECOMMENDED, st.DISTRICT_APPROVED)
LIST_SECTIONS = [name for name, form in SECTION_FORMS.items() if form.is_list]
# After saving a section (or adding or removing in it) the page jumps to that section, and the
# confirmation is shown there (``?done=<key>&in=<section>``), not at the top where nobody looks.
SECTION_FLASH = ("saved", "achievement_added", "achievement_removed", "material_uploaded", "material_removed")
# Eligibility rules the applicant fixes in a section: a refused submission links to it.
RULE_SECTIONS = {"retired": "basic_info", "level_step": "basic_info", "years_in_level": "basic_info",
                 "education": "education", "annual_assessment": "annual_assessments",
                 "continuing_education": "continuing_education", "exceptional": "materials"}
SUBMIT_LOCKS = "提交后在单位审核前可撤回;单位审核后将不能修改。"


def section_done(dossier_id, key, section):
    """The redirect after a section's change: back to the section, its confirmation shown inside it."""
    return redirect(f"/dossiers/{dossier_id}?{urlencode({'done': key, 'in': section})}", anchor=f"#sec-{section}")


def section_flash(args):
    """``{section, text}`` of the confirmation to show inside a section, from the redirect's query."""
    key, section = args.get("done"), args.get("in")
    if key in SECTION_FLASH and section in st.SECTIONS:
        return {"section": section, "text": FLASH[key]}
    return None


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


def notice_problems(items):
    """The dossier service's one-time notice (a refused submission's ``items``, the self-check's
    ``problems``: sections, materials, rules, already in the order of the form) as the editor lists it:
    ``{text, label, message, section, anchor}``."""
    # A missing material's message names it already ("缺少 2023年 年度考核登记表"): no label before it.
    return [{"text": item["text"], "label": "" if item.get("kind") == "material" else item["label"],
             "message": item["message"], "section": item.get("section"), "anchor": item.get("anchor")}
            for item in items]


def submit_problems(error):
    """A refused submission as ``(every problem, {section: [messages]})`` for the editor: each problem
    ``{text, label, message, section, anchor}``, *section* the one to open to fix it (None: no section).
    The error's ``items`` (the one-time notice) are used as they come; an error without them (another
    refusal of the same kind) is read from its ``fields``."""
    items = getattr(error, "items", None)
    if items:
        problems = notice_problems(items)
        by_section = {}
        for problem in problems:
            if problem["section"]:
                by_section.setdefault(problem["section"], []).append(problem["text"])
        return problems, by_section
    fields = getattr(error, "fields", None) or {}
    problems, by_section = [], {}
    for key, found in flatten_errors(fields).items():
        head = key.split("-")[0]
        section = head if head in st.SECTIONS else RULE_SECTIONS.get(head)
        for text in found:
            label = st.SECTIONS.get(head) or st.ELIGIBILITY_RULES.get(head) or ""
            problems.append({"text": f"{label}:{text}" if label else text, "label": label, "message": text,
                             "section": section, "anchor": f"sec-{section}" if section else None})
            if head in st.SECTIONS:
                by_section.setdefault(head, []).append(text)
    return problems, by_section


def materials_checklist(pending):
    """The checklist the dossier service answered (an async reply, or None), for the 必备材料清单 panel;
    None when it cannot be had (no published notice): the panel then says so instead of guessing."""
    if pending is None:
        return None
    try:
        return pending.result()
    except PlatformError:
        return None


def st_label(dossier):
    """``工程系列 · 给排水工程 · 中级``: what a confirmation names the dossier by."""
    return f"{SERIES.get(dossier['series'], dossier['series'])}系列 · {dossier['specialty']} · " \
           f"{LEVELS.get(dossier['level'], dossier['level'])}"


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
        # 当前待办: what each live dossier needs, asked alongside the histories (next_step_facts.py).
        live = [item for item in listing["items"] if next_step.shows_card(item["status"])]
        facts = list_facts((self.dossier, self.payment, self.certificate, self.identity), live)
        cards, todo = [], []
        for item, history in zip(listing["items"], histories, strict=True):
            events = history.result()
            cards.append({"summary": item, "steps": progress_steps(item["status"], events),
                          "events": [row for row in history_rows(events) if row["workflow"]]})
            if item["dossier_id"] in facts:
                todo.append({"id": item["dossier_id"], "summary": item,
                             "step": next_step.card(next_step.from_history(item, events), facts[item["dossier_id"]])})
        todo.sort(key=lambda entry: entry["step"]["waiting"])  # what the person must do first
        return self.render_page(session, "dossiers.html", cards=cards, todo=todo, account=account.result())

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
        editable = "update_basic_info" in dossier["allowed_commands"]
        checklist = (self.dossier.required_materials.call_async(session.principal().actor(APPLICANT).to_dict(),
                                                                dossier["id"]) if editable else None)
        contact = next_step.contact_kind(dossier["status"], dossier)
        org = start_org(self.identity, contact, dossier)
        money = (money_and_certificate(self.payment, self.certificate, dossier)
                 if dossier["status"] not in BEFORE_FEES else {})
        try:
            published = notice.result()
        except PlatformError:
            published = {}
        requirement = (published.get("policy") or {}).get("continuing_education") or {}
        payment = money.get("payment")
        step = next_step.card(dossier, {
            "notice": published.get("notice"), "certificate": money.get("certificate"), "orgs": {contact: org()},
            "orders": payment if (payment or {}).get("unavailable") else (payment or {}).get("orders")})
        events = history.result()
        values = {**saved_values(dossier), **(form_values or {})}
        notice_of_return = dossier.get("return_notice") if dossier["status"] == st.RETURNED else None
        return self.render_page(
            session, "editor.html", status=status, dossier=dossier, steps=progress_steps(dossier["status"], events),
            events=[row for row in history_rows(events) if row["workflow"]], values=values, errors=errors or {},
            ce=continuing_education_summary((dossier.get("sections") or {}).get("continuing_education"), requirement),
            editable=editable, checklist=materials_checklist(checklist),
            achievement_choices=[(a["achievement_id"], a.get("title") or "业绩成果") for a in dossier.get("achievements") or []],
            can_submit="submit" in dossier["allowed_commands"],
            can_withdraw="withdraw" in dossier["allowed_commands"],
            can_take_back="take_back" in dossier["allowed_commands"],
            return_notice=notice_of_return, flagged=set((notice_of_return or {}).get("sections") or []),
            list_sections=LIST_SECTIONS, rules=st.ELIGIBILITY_RULES, next_step=step,
            section_flash=section_flash(session.request.args), submit_locks=SUBMIT_LOCKS, **money, **extra)

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
        return section_done(dossier_id, "saved", section)

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
        return section_done(dossier_id, "achievement_added", "achievements")

    @page("POST", "/dossiers/<dossier_id>/achievements/<achievement_id>/remove")
    def remove_achievement_page(self, request, session, dossier_id, achievement_id):
        actor, _ = own_dossier(self.dossier, session.principal(), dossier_id)
        self.dossier.remove_achievement(actor.to_dict(), dossier_id, achievement_id)
        return section_done(dossier_id, "achievement_removed", "achievements")

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
                                     request.files.get("file"), limit, year=request.form.get("year", ""),
                                     achievement_id=request.form.get("achievement_id", ""))
        except PlatformError as error:
            message, fields = refusal(error)
            return self.editor(session, dossier, status=error.http_status, errors={"materials": fields},
                               message=message, focus="materials")
        return section_done(dossier_id, "material_uploaded", "materials")

    @page("GET", "/dossiers/<dossier_id>/materials/<material_id>")
    def view_material(self, request, session, dossier_id, material_id):
        """The preview the review page frames (inline, sandboxed); ``?download=1`` saves it instead."""
        dossier = visible_dossier(self.dossier, session.principal(), dossier_id)
        return materials.material_file(self.evidence, dossier, material_id, inline=not request.args.get("download"))

    @page("POST", "/dossiers/<dossier_id>/materials/<material_id>/remove")
    def remove_material_page(self, request, session, dossier_id, material_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        if not confirmed(request):
            found = next((m for m in dossier.get("materials") or [] if m.get("material_id") == material_id), None)
            if found is None:
                raise NotFound("没有这份证明材料")
            return ask_to_confirm(
                self, session, request, title="确认删除证明材料", button="确认删除", danger=True,
                back=f"/dossiers/{dossier_id}#sec-materials",
                facts=[("申报材料", f"{dossier['review_year']}年度 · {dossier['specialty']}"),
                       ("证明材料", found.get("filename", "")), ("页数", f"{found.get('pages', '')} 页")],
                lines=["删除后该文件不再作为证明材料提交;如仍需要,须重新上传。",
                       "删除记录保留在申报材料的完整历史中。"])
        materials.detach_material(self.dossier, actor, dossier, material_id)
        return section_done(dossier_id, "material_removed", "materials")

    # -- check, submit, withdraw -----------------------------------------------------------------

    @page("POST", "/dossiers/<dossier_id>/eligibility")
    def eligibility_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        result = self.dossier.check_eligibility(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id))
        # The same one-time notice submission would answer (sections, materials, rules), listed the same way.
        return self.editor(session, dossier, eligibility=result, focus="actions",
                           check_problems=notice_problems(result.get("problems") or []))

    @page("POST", "/dossiers/<dossier_id>/submit")
    def submit_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        if not confirmed(request):
            again = dossier["status"] == st.RETURNED
            return ask_to_confirm(
                self, session, request, title="确认重新提交申报" if again else "确认提交申报",
                button="确认重新提交" if again else "确认提交", back=f"/dossiers/{dossier_id}#sec-actions",
                facts=[("申报", f"{dossier['review_year']}年度 · {st_label(dossier)}"),
                       ("申报人", dossier["applicant_name"]), ("工作单位", dossier["unit_name"])],
                lines=[SUBMIT_LOCKS, "提交后申报材料转由本单位审核,审核结果将通知您。",
                       "提交前系统还会核对材料是否齐全、是否符合申报条件;有问题时列出全部问题,不会提交。"])
        try:
            self.dossier.submit(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id))
        except ValidationFailed as error:
            problems, by_section = submit_problems(error)
            return self.editor(session, dossier, status=error.http_status, message=error.message,
                               submit_problems=problems, errors={name: {"_section": found}
                                                                 for name, found in by_section.items()},
                               focus="actions")
        except PlatformError as error:
            return self.editor(session, dossier, status=error.http_status, message=error.message, focus="actions")
        return redirect(f"/dossiers/{dossier_id}", msg=st.SUBMITTED)

    @page("POST", "/dossiers/<dossier_id>/take-back")
    def take_back_page(self, request, session, dossier_id):
        """撤回申报, confirmed in the page's own step (a <details> with the final button, no script
        dialog), on the version the page showed: back to draft while the unit has not acted."""
        actor, _ = own_dossier(self.dossier, session.principal(), dossier_id)
        body = {"reason": request.form.get("reason", "").strip()}
        version = request.form.get("expected_version", "").strip()
        if version.isdigit():
            body["expected_version"] = int(version)
        try:
            self.dossier.take_back(actor.to_dict(), dossier_id, body)
        except PlatformError as error:
            message, fields = refusal(error)
            # Shown on the dossier as it stands now (the unit may have just acted on it).
            dossier = self.dossier.get(dossier_id)
            return self.editor(session, dossier, status=error.http_status, message=message,
                               errors={"take_back": fields}, take_back_reason=body["reason"],
                               focus="take-back" if "take_back" in dossier["allowed_commands"] else None)
        return redirect(f"/dossiers/{dossier_id}", msg="taken_back")

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
