"""Fees over JSON: a dossier's orders, paying one, the provider's notifications, receipts, fee
schedules, the ledger and the daily reconciliation report.

The notify route is the provider's, not a person's: no login, its proof is the signature over the
exact body, which the gateway passes to the payment service untouched (headers and text).
"""
from shared.errors import ValidationFailed
from shared.roles import APPLICANT, CITY_ADMIN

from ..compose.acting import FINANCE_ROLES, reader_actor
from ..compose.dossiers import visible_dossier
from ..compose.downloads import file_download, reconciliation_csv
from ..compose.money import accept_notification
from ..errors import json_response
from ..web import created, int_arg, json_body, ok, query_args
from .base import ApiBase
from .http import http

# Provider notifications carry their proof in X- headers; nothing else of the request is passed on.
PROVIDER_HEADER_PREFIX = "x-"
MAX_NOTIFICATION_BYTES = 65536


def provider_headers(request):
    return {name: value for name, value in request.headers.items()
            if name.lower().startswith(PROVIDER_HEADER_PREFIX)}


class PaymentRoutes(ApiBase):
    # -- the applicant ----------------------------------------------------------------------------

    @http("GET", "/api/v1/dossiers/<dossier_id>/orders")
    def dossier_orders(self, request, dossier_id):
        """The dossier's fee orders, newest first, to whoever may see the dossier."""
        visible_dossier(self.dossier, self.principal(request), dossier_id)
        return ok({"items": self.payment.orders_of_dossier(dossier_id)})

    @http("POST", "/api/v1/dossiers/<dossier_id>/orders")
    def reopen_order(self, request, dossier_id):
        """A new order after the last one expired unpaid (the applicant, while the fee is still due)."""
        actor, _ = self.applicant_actor(request, dossier_id)
        return created(self.payment.reopen_order(actor.to_dict(), dossier_id))

    @http("POST", "/api/v1/orders/<order_id>/pay")
    def pay_order(self, request, order_id):
        """The applicant pays: ``{cashier_url, order, payment}``; the browser goes to the cashier."""
        actor = self.principal(request).actor(APPLICANT)
        started = self.payment.start_payment(actor.to_dict(), order_id)
        return ok({"cashier_url": started["payment"]["cashier_url"], **started})

    @http("GET", "/api/v1/orders/<order_id>/receipt")
    def order_receipt(self, request, order_id):
        """The payment receipt (PDF) for the payer, city admins and auditors."""
        principal = self.principal(request)
        order = self.payment.get_order(order_id)
        return file_download(self.payment.receipt_pdf(reader_actor(principal, order).to_dict(), order_id))

    # -- the provider -----------------------------------------------------------------------------

    @http("POST", "/api/v1/payments/notify/<provider>")
    def payment_notification(self, request, provider):
        """Public, for the provider: 200 ``{code: SUCCESS}`` once taken (again for duplicates), else an
        error the provider sees as a refusal, with nothing changed."""
        if (request.content_length or 0) > MAX_NOTIFICATION_BYTES:
            raise ValidationFailed("通知内容过长")
        body = request.get_data(cache=False, as_text=True)
        if len(body) > MAX_NOTIFICATION_BYTES:  # sent without a length (chunked)
            raise ValidationFailed("通知内容过长")
        return ok(accept_notification(self.payment, provider, provider_headers(request), body))

    # -- fee schedules ----------------------------------------------------------------------------

    @http("GET", "/api/v1/fee-schedules/<review_year>")
    def fee_schedule(self, request, review_year):
        """Public: the review fee per level and the certificate fee of a review year (in fen and yuan), as the
        year's notice sets them (``notice_version``; ``configured`` false: no notice yet, the defaults)."""
        return ok(self.payment.get_fee_schedule(int_arg({"review_year": review_year}, "review_year", 0)))

    @http("PUT", "/api/v1/fee-schedules/<review_year>")
    def set_fee_schedule(self, request, review_year):
        """Refused (409 ``fees_set_by_notice``): fees are part of the year's notice, published through
        ``/api/v1/notices`` and the notice admin pages; kept so an old client learns where they went."""
        actor = self.principal(request).actor(CITY_ADMIN)
        schedule = {**json_body(request), "review_year": int_arg({"review_year": review_year}, "review_year", 0)}
        return ok(self.payment.set_fee_schedule(actor.to_dict(), schedule))

    # -- the books --------------------------------------------------------------------------------

    @http("GET", "/api/v1/payments/ledger")
    def payment_ledger(self, request):
        """Ledger rows (charge, payment, refund, void) filtered by ``order_id``, ``dossier_id``, ``date``."""
        actor = self.principal(request).actor(*FINANCE_ROLES)
        args = query_args(request)
        query = {key: args[key] for key in ("order_id", "dossier_id", "date") if key in args}
        return ok({"items": self.payment.ledger(actor.to_dict(), query)})

    @http("GET", "/api/v1/payments/reconciliation")
    def reconciliation(self, request):
        """The day's reconciliation (``date=YYYY-MM-DD``, Asia/Shanghai): CSV by default, ``format=json``."""
        actor = self.principal(request).actor(*FINANCE_ROLES)
        args = query_args(request)
        if "date" not in args:
            raise ValidationFailed("请指定对账日期", fields={"date": ["请填写对账日期,格式为 YYYY-MM-DD"]})
        report = self.payment.reconciliation_report(actor.to_dict(), args["date"], args.get("provider"))
        if args.get("format", "csv") == "json":
            return json_response(report)
        return reconciliation_csv(report)
