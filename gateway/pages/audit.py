"""The audit officer's workspace (审计工作台): find any dossier of the city and export the list, read a
dossier's timeline event by event, open the dossier exactly as it stood at any version or moment, and
compare two versions field by field.

Everything is read from the dossier service's event history (``history``, ``state_at``, ``verify``)
and its summary list; names and masked ID numbers come from identity (gateway/compose/audit.py). The
search and its export are for audit officers; a dossier's timeline, versions and comparisons also for
the city office, and always only for those who may see the dossier (shared/contracts/dossier_access.py).
"""
from datetime import datetime
from urllib.parse import urlencode


from shared.clock import beijing_text, utc_now
from shared.contracts.identity import DEPARTMENT, DISTRICT
from shared.errors import PlatformError, ValidationFailed

from ..compose import materials
from ..compose.audit import (
    SEARCHERS, actor_names, audit_actor, every_match, masked_id_numbers, with_applicant_of_id_number,
)
from ..compose.audit_export import export_file, table
from ..compose.dossier_diff import compare
from ..compose.dossiers import visible_dossier
from ..compose.downloads import attachment
from ..exceptions import ExportTooLarge
from ..web import query_args
from .audit_decisions_views import DECISION_EVENTS
from .audit_views import (
    PER_PAGE, SECTION_WORDS, moment_arg, search_query, stood_at, timeline_filters, timeline_rows, version_arg,
    version_choices,
)
from .base import PageBase
from .handler import page, redirect
from .review_views import paging, query_string
from .views import flatten_errors

EXPORT_FORMATS = ("csv", "xlsx")
DEFAULT_EXPORT_MAX_ROWS = 5000


def page_number(args):
    text = str(args.get("page", "1")).strip()
    return min(int(text), 100000) if text.isascii() and text.isdigit() and int(text) >= 1 else 1


class AuditPages(PageBase):
    # -- find a dossier ---------------------------------------------------------------------------

    @page("GET", "/audit")
    def audit_search_page(self, request, session):
        audit_actor(session.principal(), SEARCHERS)
        return self.audit_search(session, query_args(request, list_fields=("status",)))

    def audit_search(self, session, args, status=200, message=None):
        """The search page for *args* (the form's query parameters); *message* explains a refused export."""
        query, errors, values = search_query(args)
        districts = self._district_choices()
        listing, masks, number = None, {}, page_number(args)
        if not errors:
            query = with_applicant_of_id_number(self.identity, audit_actor(session.principal(), SEARCHERS), query)
        if query is None:  # nobody registered with that ID number
            listing = {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
        elif not errors:
            try:
                listing = self.dossier.list({**query, "page": number, "per_page": PER_PAGE})
                pages = paging(listing["total"], number, PER_PAGE)["pages"]
                if number > pages:  # past the end (the list shrank, or a typed page): show the last page
                    number = pages
                    listing = self.dossier.list({**query, "page": number, "per_page": PER_PAGE})
            except ValidationFailed as error:
                errors = flatten_errors(error.fields)
        if errors:
            status, message = 422, message or "检索条件有误,请按提示修改。"
        else:
            masks = masked_id_numbers(self.identity, [item["applicant_id"] for item in listing["items"]])
        keep = {name: value for name, value in values.items() if value not in (None, "", [])}
        return self.render_page(session, "audit_search.html", status=status, listing=listing, masks=masks,
                                values=values, errors=errors, message=message, keep=keep, districts=districts,
                                query_string=query_string,
                                pager=paging(listing["total"], number, PER_PAGE) if listing else None)

    def _district_choices(self):
        """``[(id, name)]`` of districts and competent departments (a dossier's ``district_id``); none if
        identity does not answer (the other filters still work)."""
        calls = [self.identity.list_orgs.call_async({"kind": kind}) for kind in (DISTRICT, DEPARTMENT)]
        choices = []
        for call in calls:
            try:
                choices += [(org["id"], org["name"]) for org in call.result()]
            except PlatformError:
                continue
        return choices

    @page("GET", "/audit/export")
    def audit_export_page(self, request, session):
        """Every dossier the search matches, as ``format=csv`` or ``xlsx`` (up to ``AUDIT.EXPORT_MAX_ROWS``)."""
        audit_actor(session.principal(), SEARCHERS)
        args = query_args(request, list_fields=("status",))
        fmt = args.get("format", "")
        if fmt not in EXPORT_FORMATS:
            raise ValidationFailed("导出格式应为 CSV 或 Excel", fields={"format": ["应为 csv 或 xlsx"]})
        query, errors, _ = search_query(args)
        if errors:
            return self.audit_search(session, args)
        limit = int((self.settings.get("AUDIT") or {}).get("EXPORT_MAX_ROWS") or DEFAULT_EXPORT_MAX_ROWS)
        query = with_applicant_of_id_number(self.identity, audit_actor(session.principal(), SEARCHERS), query)
        try:
            rows = every_match(self.dossier, query, limit) if query is not None else []
        except ExportTooLarge as error:
            return self.audit_search(session, args, status=error.http_status, message=error.message)
        masks = masked_id_numbers(self.identity, [row["applicant_id"] for row in rows])
        filename, content_type, content = export_file(table(rows, masks), fmt,
                                                      beijing_text(utc_now(), "%Y%m%d-%H%M%S"))
        return attachment(content, content_type, filename)

    # -- one dossier: timeline, versions, comparison ------------------------------------------------

    def _audited(self, session, dossier_id):
        """``(dossier now, its events)`` for a reader of the workspace who may see it (404 otherwise)."""
        principal = session.principal()
        audit_actor(principal)
        history = self.dossier.history.call_async(dossier_id)
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        return dossier, history.result()

    @page("GET", "/audit/dossiers/<dossier_id>")
    def audit_timeline_page(self, request, session, dossier_id):
        verified = self.dossier.verify.call_async(dossier_id)
        dossier, events = self._audited(session, dossier_id)
        people, organisations = actor_names(self.identity, events)
        rows, actors, kinds, chosen = timeline_filters(timeline_rows(events, people, organisations), query_args(request))
        return self.render_page(session, "audit_timeline.html", dossier=dossier, rows=rows, actors=actors, kinds=kinds,
                                chosen=chosen, total=len(events), verified=verified.result(), decision_events=DECISION_EVENTS)

    @page("GET", "/audit/dossiers/<dossier_id>/versions")
    def audit_version_pick(self, request, session, dossier_id):
        """``?version=n`` or ``?at=<Beijing date-time>`` → that version's page; neither → the newest."""
        dossier, events = self._audited(session, dossier_id)
        args = query_args(request)
        base = f"/audit/dossiers/{dossier['id']}/versions"
        if "at" in args:
            moment, problem = moment_arg(args["at"])
            if problem is None:
                try:
                    state = self.dossier.state_at(dossier["id"], at=moment)
                except PlatformError as error:  # before the dossier was created
                    problem = error.message
                else:
                    return redirect(f"{base}/{state['version']}?{urlencode({'at': moment})}")
            return self.version_page(session, dossier, events, None, status=422, errors={"at": [problem]},
                                     typed_at=args["at"])
        if "version" in args:
            version, problem = version_arg(args["version"], len(events))
            if problem is not None:
                return self.version_page(session, dossier, events, None, status=422, errors={"version": [problem]})
            return redirect(f"{base}/{version}")
        return redirect(f"{base}/{len(events)}")

    @page("GET", "/audit/dossiers/<dossier_id>/versions/<version>")
    def audit_version_page(self, request, session, dossier_id, version):
        dossier, events = self._audited(session, dossier_id)
        number, problem = version_arg(version, len(events))
        if problem is not None:
            return self.version_page(session, dossier, events, None, status=404, errors={"version": [problem]})
        asked = query_args(request).get("at")
        moment = moment_arg(asked)[0] if asked else None
        # The banner names the asked moment only if this version is indeed the one standing then.
        return self.version_page(session, dossier, events, number,
                                 asked_at=moment if moment and stood_at(events, number, moment) else None)

    def version_page(self, session, dossier, events, number, status=200, errors=None, asked_at=None, typed_at=""):
        """The dossier at version *number* as the read-only preview shows it (None: only the pickers)."""
        state = self.dossier.state_at(dossier["id"], version=number) if number else None
        event = events[number - 1] if number else None
        return self.render_page(
            session, "audit_version.html", status=status, dossier=dossier, state=state, number=number, event=event,
            newest=len(events), choices=version_choices(events), errors=errors or {}, asked_at=asked_at,
            typed_at=typed_at, at_value=beijing_text_of(event["at"]) if event else "",
            material_base=f"/audit/dossiers/{dossier['id']}/versions/{number}/materials")

    @page("GET", "/audit/dossiers/<dossier_id>/versions/<version>/materials/<material_id>")
    def audit_version_material(self, request, session, dossier_id, version, material_id):
        """A file as the dossier held it at that version (also one detached since), inline and sandboxed."""
        dossier, events = self._audited(session, dossier_id)
        number, problem = version_arg(version, len(events))
        if problem is not None:
            raise ValidationFailed(problem, fields={"version": [problem]})
        state = self.dossier.state_at(dossier["id"], version=number)
        return materials.material_file(self.evidence, state, material_id, inline=not request.args.get("download"))

    @page("GET", "/audit/dossiers/<dossier_id>/compare")
    def audit_compare_page(self, request, session, dossier_id):
        """``?from=N&to=M``: what changed from version N to version M (default: the last two)."""
        dossier, events = self._audited(session, dossier_id)
        args, newest, errors, chosen = query_args(request), len(events), {}, {}
        defaults = {"from": max(newest - 1, 1), "to": newest}
        for name in ("from", "to"):
            number, problem = version_arg(args[name], newest) if name in args else (defaults[name], None)
            chosen[name] = number
            if problem:
                errors[name] = [problem]
        diff, between = None, []
        if not errors:
            before = self.dossier.state_at.call_async(dossier["id"], version=chosen["from"])
            after = self.dossier.state_at.call_async(dossier["id"], version=chosen["to"])
            diff = compare(before.result(), after.result(), SECTION_WORDS)
            low, high = sorted((chosen["from"], chosen["to"]))
            people, organisations = actor_names(self.identity, events[low:high])
            between = timeline_rows(events, people, organisations)[low:high]
        return self.render_page(session, "audit_compare.html", status=422 if errors else 200, dossier=dossier,
                                diff=diff, between=between, chosen=chosen, errors=errors, newest=newest,
                                choices=version_choices(events), events=events)


def beijing_text_of(moment_text):
    """An event's ISO time as the value of a ``datetime-local`` input (Beijing time, to the second)."""
    return beijing_text(datetime.fromisoformat(moment_text), "%Y-%m-%dT%H:%M:%S")
