"""Fee pages: paying an order from the dossier page, the receipt, a new order after expiry; the
payment simulator's cashier (development and demos: it stands in for the provider's own page); the
year's fees as its notice sets them (read only: they change with the notice, /admin/notices) and the
daily reconciliation download."""
from datetime import timedelta

from shared.clock import beijing_today
from shared.errors import PlatformError
from shared.roles import CITY_ADMIN
from shared.titles import LEVELS

from ..compose.acting import FINANCE_ROLES, reader_actor
from ..compose.dossiers import own_dossier, visible_dossier
from ..compose.downloads import file_download, reconciliation_csv
from ..compose.money import accept_notification
from .base import PageBase, refusal
from .handler import page, redirect


def fen_from_yuan(text):
    """'160' or '160.50' yuan as fen; None (the form then names the field) when it is not such an amount
    (the notice form's fees are typed in yuan)."""
    text = (text or "").strip()
    try:
        whole, _, cents = text.partition(".")
        if not whole.isdigit() or (cents and (not cents.isdigit() or len(cents) > 2)):
            return None
        return int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    except ValueError:
        return None


class PaymentPages(PageBase):
    # -- the applicant --------------------------------------------------------------------------

    @page("POST", "/dossiers/<dossier_id>/orders/<order_id>/pay")
    def pay_order_page(self, request, session, dossier_id, order_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        try:
            started = self.payment.start_payment(actor.to_dict(), order_id)
        except PlatformError as error:
            return self.editor(session, dossier, status=error.http_status, message=error.message, focus="payment")
        return redirect(started["payment"]["cashier_url"])

    @page("POST", "/dossiers/<dossier_id>/orders/reopen")
    def reopen_order_page(self, request, session, dossier_id):
        actor, dossier = own_dossier(self.dossier, session.principal(), dossier_id)
        try:
            self.payment.reopen_order(actor.to_dict(), dossier_id)
        except PlatformError as error:
            return self.editor(session, dossier, status=error.http_status, message=error.message, focus="payment")
        return redirect(f"/dossiers/{dossier_id}", msg="order_reopened", anchor="#sec-payment")

    @page("GET", "/dossiers/<dossier_id>/orders/<order_id>/receipt")
    def receipt_page(self, request, session, dossier_id, order_id):
        principal = session.principal()
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        order = self.payment.get_order(order_id)
        if order["dossier_id"] != dossier["id"]:
            return redirect(f"/dossiers/{dossier_id}")
        return file_download(self.payment.receipt_pdf(reader_actor(principal, order).to_dict(), order_id))

    # -- the simulator's cashier (no login: the provider's page, not ours) ------------------------

    @page("GET", "/payments/simulator/cashier/<payment_id>")
    def cashier_page(self, request, session, payment_id):
        session.optional_principal()
        return self.render_page(session, "cashier.html", payment=self.payment.cashier_view(payment_id))

    @page("POST", "/payments/simulator/cashier/<payment_id>")
    def cashier_confirm_page(self, request, session, payment_id):
        """The payer confirms: the simulator signs a notification, which is handed to our notify
        handling exactly as the provider would POST it (the simulator re-sends it until accepted)."""
        session.optional_principal()
        try:
            signed = self.payment.cashier_confirm(payment_id)
        except PlatformError as error:
            return self.render_page(session, "cashier.html", status=error.http_status, message=error.message,
                                    payment=self.payment.cashier_view(payment_id))
        try:
            taken = accept_notification(self.payment, "simulator", signed["headers"], signed["body"])
        except PlatformError as error:  # refused by us: the payer paid; the provider will notify again
            taken = {"code": "FAIL", "outcome": error.code, "message": error.message}
        view = self.payment.cashier_view(payment_id)
        order = self.payment.get_order(view["order_id"])
        return self.render_page(session, "cashier.html", payment=view, notified=taken, order=order)

    # -- the city admin: the year's fees (read only) and reconciliation ---------------------------

    @page("GET", "/admin/fees")
    def fees_page(self, request, session):
        session.principal().actor(*FINANCE_ROLES)
        year = request.args.get("review_year", "")
        return self.fees_view(session, int(year) if year.isdigit() else beijing_today().year)

    def fees_view(self, session, review_year, status=200, **extra):
        """The year's fees as its notice sets them; they are changed by publishing the notice again."""
        actor = session.principal().actor(*FINANCE_ROLES)
        schedule = self.payment.get_fee_schedule(review_year)
        yesterday = (beijing_today() - timedelta(days=1)).isoformat()
        return self.render_page(session, "fees_admin.html", status=status, schedule=schedule, levels=LEVELS,
                                can_edit=actor.role == CITY_ADMIN, yesterday=yesterday,
                                errors=extra.pop("errors", {}), **extra)

    @page("GET", "/admin/fees/reconciliation")
    def reconciliation_page(self, request, session):
        actor = session.principal().actor(*FINANCE_ROLES)
        day = request.args.get("date", "").strip()
        try:
            report = self.payment.reconciliation_report(actor.to_dict(), day)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.fees_view(session, beijing_today().year, status=error.http_status,
                                  message=message, errors={"date": errors.get("date") or [message]})
        return reconciliation_csv(report)
