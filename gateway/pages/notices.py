"""The city admin's notice and policy pages: every review year with its published version and draft;
the settings form of a year's notice (saved as a draft, field errors in Chinese beside each input,
unconfirmed settings labelled); the draft as the public will read it, with 发布 behind a
confirmation; and every published version with what it changed. The dossier service keeps the
notices, validates each draft with NoticeSchema and makes each publication a new version."""
from shared.clock import beijing_today
from shared.errors import NotFound, PlatformError
from shared.roles import CITY_ADMIN
from shared.titles import LEVELS

from . import notice_form as nf
from .base import PageBase, refusal
from .confirm import ask_to_confirm, confirmed
from .handler import page, redirect
from .notice_views import change_rows, public_notice


class NoticePages(PageBase):
    @page("GET", "/admin/notices")
    def notices_admin_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        published = {item["review_year"]: item for item in self.dossier.list_notices()}
        drafts = {item["review_year"]: item for item in self.dossier.list_notice_drafts(actor)}
        years = sorted(set(published) | set(drafts), reverse=True)
        rows = [{"review_year": year, "published": published.get(year), "draft": drafts.get(year)} for year in years]
        next_year = max([*years, beijing_today().year]) + (1 if years else 0)
        return self.render_page(session, "notices_admin.html", rows=rows, next_year=next_year)

    @page("GET", "/admin/notices/edit")
    def notice_year_choice(self, request, session):
        """The year box of the list page: on to that year's form."""
        session.principal().actor(CITY_ADMIN)
        year = request.args.get("review_year", "").strip()
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            return redirect("/admin/notices", msg="notice_year_invalid")
        return redirect(f"/admin/notices/{int(year)}/edit")

    @page("GET,POST", "/admin/notices/<int:review_year>/edit")
    def notice_edit_page(self, request, session, review_year):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        source, origin = self._notice_source(actor, review_year)
        if request.method == "GET":
            return self._edit_form(session, review_year, source, origin, nf.form_values(source))
        document, errors, values = nf.read_form(request.form, source, review_year)
        if errors:  # not of the document's type: nothing is sent, nothing stored
            return self._edit_form(session, review_year, source, origin, values, errors=errors, status=422,
                                   message="年度评审通知填写有误,请按提示修改")
        try:
            self.dossier.save_notice_draft(actor, document)
        except PlatformError as error:
            message, flat = refusal(error)
            return self._edit_form(session, review_year, source, origin, values, status=error.http_status,
                                   errors=nf.form_errors(flat, document, source), message=message)
        return redirect(f"/admin/notices/{review_year}/preview", msg="notice_draft_saved")

    @page("GET", "/admin/notices/<int:review_year>/preview")
    def notice_preview_page(self, request, session, review_year):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        draft = self.dossier.get_notice_draft(actor, review_year)
        return self.render_page(session, "notice_preview.html", draft=draft,
                                notice=public_notice(draft["document"], draft["policy"]))

    @page("POST", "/admin/notices/<int:review_year>/publish")
    def notice_publish_page(self, request, session, review_year):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        if not confirmed(request):
            draft = self.dossier.get_notice_draft(actor, review_year)
            current = self._published(review_year)
            version = (current["version"] if current else 0) + 1
            return ask_to_confirm(
                self, session, request, title=f"发布{review_year}年度评审通知", button="确认发布",
                back=f"/admin/notices/{review_year}/preview",
                lines=[f"草稿将作为第 {version} 版发布,立即对公众公布,并自即刻起作为该年度的政策执行。",
                       "已发布的版本不能修改或撤回;如需更正,请再编辑草稿并发布新版本(每一版都会留下记录)。"],
                facts=[("通知标题", draft["document"]["title"]), ("发布版本", f"第 {version} 版")])
        self.dossier.publish_notice_draft(actor, review_year)
        return redirect(f"/admin/notices/{review_year}/versions", msg="notice_published")

    @page("POST", "/admin/notices/<int:review_year>/discard")
    def notice_discard_page(self, request, session, review_year):
        actor = session.principal().actor(CITY_ADMIN).to_dict()
        if not confirmed(request):
            draft = self.dossier.get_notice_draft(actor, review_year)
            return ask_to_confirm(
                self, session, request, title=f"放弃{review_year}年度通知草稿", button="确认放弃", danger=True,
                back="/admin/notices", lines=["草稿中的修改将被删除,已发布的通知不受影响。"],
                facts=[("通知标题", draft["document"]["title"])])
        self.dossier.discard_notice_draft(actor, review_year)
        return redirect("/admin/notices", msg="notice_draft_discarded")

    @page("GET", "/admin/notices/<int:review_year>/versions")
    def notice_versions_page(self, request, session, review_year):
        session.principal().actor(CITY_ADMIN)
        versions = self.dossier.list_notice_versions(review_year)
        if not versions:
            raise NotFound(f"{review_year}年度职称评审通知尚未发布")
        names = self._names({version["published_by"] for version in versions})
        shown = [{**version, "publisher": names.get(version["published_by"], version["published_by"]),
                  "changes": None if version.get("changes") is None else change_rows(version["changes"])}
                 for version in reversed(versions)]
        return self.render_page(session, "notice_versions.html", review_year=review_year, versions=shown)

    # -- helpers -------------------------------------------------------------------------------

    def _names(self, account_ids):
        """Account id → name of the publishers; an account identity cannot name now shows as its id."""
        names = {}
        for account_id in account_ids:
            try:
                names[account_id] = self.identity.get_account(account_id).get("name") or account_id
            except PlatformError:
                pass
        return names

    def _published(self, review_year):
        try:
            return self.dossier.get_notice(review_year)
        except NotFound:
            return None

    def _notice_source(self, actor, review_year):
        """What the form starts from: the year's draft, else its published notice, else the defaults."""
        try:
            return self.dossier.get_notice_draft(actor, review_year)["document"], "saved_draft"
        except NotFound:
            pass
        published = self._published(review_year)
        if published:
            return published["notice"], "published"
        return nf.default_document(review_year), "defaults"

    def _edit_form(self, session, review_year, source, origin, values, errors=None, status=200, message=None):
        policy = nf.effective_policy(source.get("policy"), source.get("continuing_education"))
        errors = errors or {}
        notes, other_notes = nf.unconfirmed_notes()
        # An error for no input of the form is still shown (at the top), never dropped.
        stray = {name: found for name, found in errors.items() if name not in values and name != "open_series"}
        return self.render_page(
            session, "notice_edit.html", status=status, review_year=review_year, origin=origin, values=values,
            errors=errors, stray=stray, message=message, open_levels=nf.reviewable_levels(policy),
            materials=nf.material_rows(policy), notes=notes, other_notes=other_notes, bands=nf.BANDS,
            committee_kinds=nf.COMMITTEE_KINDS, levels=LEVELS, deadlines=nf.DEADLINES,
            after_choices=nf.AFTER_LEVEL_DEADLINE_CHOICES, published=self._published(review_year))
