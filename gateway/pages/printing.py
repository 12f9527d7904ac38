"""Printable PDFs (打印): one dossier's 《专业技术职务任职资格评审表》, and for a review year (or one 报送 batch)
the unit 公示名单 and the 报送汇总表/推荐花名册. The PDFs open in the browser's viewer to be printed, signed
and sealed; the builders are gateway/compose/printing_review_form.py and printing_lists.py.

Who may print what follows reading: the 评审表 of a dossier the caller may see (the applicant their own,
a unit admin their unit's, a district admin their district's, the city and the auditor any), otherwise
404 as for the dossier itself; the lists as the caller's review queue scopes them.
"""
from urllib.parse import quote

from werkzeug import Response

from shared.errors import PlatformError

from ..compose import printing_lists as lists
from ..compose.dossiers import visible_dossier
from ..compose.printing_review_form import TITLE, field_specs, render_review_form
from ..web import query_args
from .base import PageBase
from .forms import ACHIEVEMENT_FORM, COMMITMENT_TEXT, SECTION_FORMS
from .handler import page

REVIEW_FORM_FIELDS = field_specs([*SECTION_FORMS.values(), ACHIEVEMENT_FORM])


def font_path(settings):
    """The configured CJK font file (``PDF.CJK_FONT``), or None for the installed default (shared/fonts.py)."""
    return (settings.get("PDF") or {}).get("CJK_FONT") or None


def pdf_inline(content, filename):
    """A PDF shown in the browser (to print), saved under *filename*; never cached: it holds personal data."""
    return Response(content, content_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})


class PrintingPages(PageBase):
    @page("GET", "/dossiers/<dossier_id>/print/review-form.pdf")
    def review_form_pdf(self, request, session, dossier_id):
        dossier = visible_dossier(self.dossier, session.principal(), dossier_id)
        content = render_review_form(dossier, REVIEW_FORM_FIELDS, COMMITMENT_TEXT,
                                     font_path=font_path(self.settings))
        return pdf_inline(content, f"{TITLE}-{dossier['applicant_name']}-{dossier['review_year']}.pdf")

    @page("GET", "/review/print/publicity-list.pdf")
    def publicity_list_pdf(self, request, session):
        _actor, query, dossiers = self._listed(request, session)
        phones = lists.unit_phones(self.identity, {d["unit_id"] for d in dossiers if d.get("unit_publicity")})
        year = lists.years_of(query, dossiers)
        content = lists.render_publicity_list(year, lists.publicity_rows(dossiers, phones),
                                              font_path=font_path(self.settings))
        return pdf_inline(content, f"{year}年度公示名单.pdf")

    @page("GET", "/review/print/roster.pdf")
    def roster_pdf(self, request, session):
        actor, query, dossiers = self._listed(request, session)
        batch = self.review.get_batch(actor.to_dict(), query["batch_id"]) if query.get("batch_id") else None
        rows = lists.roster_rows(lists.forwarded(dossiers, actor.role, query.get("batch_id")))
        year = lists.years_of(query, dossiers)
        content = lists.render_roster(year, rows, sender=self.sender_name(actor, dossiers), batch=batch,
                                      font_path=font_path(self.settings))
        return pdf_inline(content, f"{year}年度报送汇总表.pdf")

    def sender_name(self, actor, dossiers):
        """Who sends the roster: the acting organisation's name (the unit's or the district's)."""
        try:
            return self.identity.get_org(actor.org_id)["name"]
        except PlatformError:
            first = dossiers[0] if dossiers else {}
            return first.get("district_name" if actor.role == lists.DISTRICT_ADMIN else "unit_name", "")

    def _listed(self, request, session):
        """The acting role, the list query and the dossiers that role may list, for a printed list."""
        principal = session.principal()
        args = query_args(request)
        actor = lists.print_actor(principal, args.get("role"))
        query = lists.list_query(args)
        return actor, query, lists.scoped_dossiers(self.review, self.dossier, principal, actor, query)
