"""Review work over JSON: the scoped queue and its exports, decisions with every problem listed,
unit publicity, batches sent upward, progress per organisation and the working-day calendar.

The gateway picks the role the caller acts in (``?role=`` when they hold several); the review
service then applies that role's scope to every list, export and lookup by id.
"""
from shared.roles import AUDITOR, CITY_ADMIN, UNIT_ADMIN

from ..compose.acting import REVIEWER_ROLES
from ..compose.downloads import file_download
from ..errors import json_response
from ..web import created, json_body, ok, query_args
from .base import ApiBase
from .http import http

BATCH_READERS = REVIEWER_ROLES + (AUDITOR,)
QUEUE_FILTERS = ("status", "review_year", "series", "level", "unit_id", "district_id", "q", "awaiting",
                 "include_ids", "page", "per_page")


def queue_query(args):
    """The review queue's filters from query parameters (the review service validates them)."""
    return {key: args[key] for key in QUEUE_FILTERS if key in args}


def batch_answer(answer):
    """201 with each dossier's result when the batch was saved; 409 naming every refusal when not."""
    if answer["saved"]:
        return created(answer)
    refused = {result["dossier_id"]: [result["error"]["message"]] for result in answer["results"] if not result["ok"]}
    error = {"code": "batch_refused", "message": f"整批未报送:{len(refused)} 件申报材料不符合条件(全有或全无)",
             "fields": refused}
    return json_response({"error": error, **answer}, 409)


class ReviewRoutes(ApiBase):
    # -- the work queue -------------------------------------------------------------------------

    @http("GET", "/api/v1/review/queue")
    def review_queue(self, request):
        """The caller's scoped queue: filters as /dossiers, ``awaiting``, paging, ``include_ids`` for bulk selection."""
        args = query_args(request, list_fields=("status",))
        return ok(self.review.queue(self.acting(request), queue_query(args)))

    @http("GET", "/api/v1/review/queue/counts")
    def review_queue_counts(self, request):
        """Counts by status of the caller's scope under the same filters."""
        args = query_args(request, list_fields=("status",))
        return ok(self.review.queue_counts(self.acting(request), queue_query(args)))

    @http("GET", "/api/v1/review/queue/export")
    def review_queue_export(self, request):
        """Every dossier of the filtered queue as ``format=csv`` or ``xlsx``; ID numbers masked."""
        args = query_args(request, list_fields=("status",))
        return file_download(self.review.export_queue(self.acting(request), queue_query(args),
                                                      args.get("format", "xlsx")))

    @http("GET", "/api/v1/review/queue/<dossier_id>")
    def review_queue_item(self, request, dossier_id):
        """One dossier's queue row; outside the caller's scope the answer is 404."""
        return ok(self.review.queue_item(self.acting(request), dossier_id))

    @http("GET", "/api/v1/review/progress")
    def review_progress(self, request):
        """Counts by status per organisation of the caller's scope (per district for the city, else per unit)."""
        args = query_args(request)
        return ok(self.review.progress(self.acting(request), {k: args[k] for k in ("review_year",) if k in args}))

    # -- decisions, unit publicity, batches -------------------------------------------------------

    @http("POST", "/api/v1/review/dossiers/<dossier_id>/decisions")
    def review_decide(self, request, dossier_id):
        """Approve, return (reason, sections and ``problems: [{section, issue}]`` all at once) or reject, on ``expected_version``.

        The decision names the dossier version it was made on (the queue row's or dossier's ``version``);
        if the dossier moved since, the answer is 409 naming its current status and who moved it."""
        return ok(self.review.decide(self.acting(request, REVIEWER_ROLES), dossier_id, json_body(request)))

    @http("GET", "/api/v1/review/dossiers/<dossier_id>/decisions")
    def review_decisions(self, request, dossier_id):
        """The decisions recorded through review on a dossier of the caller's scope, oldest first."""
        return ok({"items": self.review.decisions_of(self.acting(request), dossier_id)})

    @http("POST", "/api/v1/review/unit-publicity")
    def record_unit_publicity(self, request):
        """The unit's internal publicity ``{dossier_ids, start, end?}``: at least 5 working days."""
        return ok(self.review.record_unit_publicity(self.acting(request, (UNIT_ADMIN,)), json_body(request)))

    @http("POST", "/api/v1/review/batches")
    def submit_batch(self, request):
        """Send approved dossiers upward ``{dossier_ids, expected_versions?}``, all or nothing, with a result per dossier."""
        return batch_answer(self.review.submit_batch(self.acting(request, (UNIT_ADMIN,)), json_body(request)))

    @http("GET", "/api/v1/review/batches")
    def list_batches(self, request):
        args = query_args(request)
        query = {k: args[k] for k in ("page", "per_page") if k in args}
        return ok({"items": self.review.list_batches(self.acting(request, BATCH_READERS), query)})

    @http("GET", "/api/v1/review/batches/<batch_id>")
    def get_batch(self, request, batch_id):
        return ok(self.review.get_batch(self.acting(request, BATCH_READERS), batch_id))

    # -- the working-day calendar -----------------------------------------------------------------

    @http("GET", "/api/v1/calendar/<int:year>")
    def calendar_year(self, request, year):
        """A year's days off and 调休 working days (an unconfigured year says it counts weekends only)."""
        self.principal(request)
        return ok(self.review.calendar_year(year))

    @http("PUT", "/api/v1/calendar/<int:year>")
    def set_calendar_year(self, request, year):
        """The city admin replaces a year: ``{days_off, workdays, source}`` (dates or ``起..止`` ranges)."""
        actor = self.acting(request, (CITY_ADMIN,))
        return ok(self.review.set_calendar_year(actor, {**json_body(request), "year": year}))

    @http("GET", "/api/v1/calendar/working-days")
    def working_days(self, request):
        """``start`` with ``working_days`` gives the window's end; ``start`` with ``end`` counts its working days."""
        self.principal(request)
        args = query_args(request)
        return ok(self.review.working_days({k: args[k] for k in ("start", "working_days", "end") if k in args}))
