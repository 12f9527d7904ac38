"""Payments: review-fee and certificate-fee orders, provider notifications, refunds and expiry.

Dossier events create and cancel orders (each event applied once: ``dossier_progress`` keeps the
newest version per dossier). An order's amount is read from the review year's policy, through the
dossier service's ``get_notice``, when the order is created; the notice version is stored on it. A
fee of 0 creates no order: a review fee of 0 is recorded on the dossier at once (``record_fee_paid``
with ``ZERO_FEE_REFERENCE``), so it goes on to the committee as a paid one does; a certificate fee
of 0 is only noted, for the certificate service's question (``certificate_fee``).

Money is confirmed only by a provider notification whose signature, timestamp window, nonce, order
and amount all check out; the order change and its ledger rows commit together, and telling the
dossier (``record_fee_paid``) follows the commit, retried by the sweep until the dossier has it.
Reports (receipts, reconciliation) live in reports.py.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from shared.clock import utc_now
from shared.contracts import payment as published
from shared.db import ensure_database, make_engine
from shared.idempotency import remember

from shared.contracts.notification import FEE_ORDER_OPENED, FEE_ORDER_PAID

from . import announcements, ledger, notifications
from . import orders as repo
from .domain import (
    AWAITING, CANCELLED, CERTIFICATE_FEE, EXPIRED, KIND_LABELS, PAID, PENDING, REFUND_SUBMITTED, REFUNDING,
    REVIEW_FEE, YearFees, check_payer, within_window,
)
from .exceptions import (
    NotificationRejected, OrderNotFound, OrderNotPayableError, OrderNotReopenableError, ProviderError,
    StaleNotificationError, UnknownProviderError,
)
from .ports import ALREADY, RECORDED
from .provider import PAYMENT_NOTIFICATION, PAYMENT_SUCCEEDED, Notification, PaymentRequest
from .reports import PaymentReports
from .tables import metadata, notification_log, notification_nonces
from .tables import orders as orders_table

log = logging.getLogger(__name__)
_CREATE_TABLES_LOCK = 0x9A_7E_0001


@dataclass(frozen=True)
class PaymentSettings:
    order_ttl_seconds: int = 72 * 3600
    notification_window_seconds: int = 300
    nonce_retention_seconds: int = 3600
    payee: str = "昆明市人力资源和社会保障局"
    reconcile_after_hour: int = 2
    font_path: str | None = None

    @classmethod
    def from_config(cls, config):
        orders, notices = config.get("ORDERS") or {}, config.get("NOTIFICATIONS") or {}
        return cls(
            order_ttl_seconds=int(float(orders.get("ttl_hours", 72)) * 3600),
            notification_window_seconds=int(notices.get("window_seconds", 300)),
            nonce_retention_seconds=int(notices.get("nonce_retention_seconds", 3600)),
            payee=config.get("PAYEE") or cls.payee,
            reconcile_after_hour=int((config.get("RECONCILIATION") or {}).get("after_hour", 2)),
            font_path=(config.get("PDF") or {}).get("CJK_FONT") or None,
        )


class Payments:
    def __init__(self, database_url, *, providers, default_provider="simulator", settings=None, clock=utc_now):
        ensure_database(database_url)
        self.engine = make_engine(database_url)
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
            metadata.create_all(connection)
            ledger.install_immutability(connection)
        self.providers = dict(providers)
        self.default_provider = default_provider
        self.settings = settings or PaymentSettings()
        self.clock = clock
        self.reports = PaymentReports(self)
        self.simulator = None  # the provider simulator, when this deployment runs one (dependencies.py)

    def close(self):
        self.engine.dispose()

    # -- the year's fees -----------------------------------------------------------------------

    def fee_schedule(self, review_year, dossier):
        """The year's fees as its notice's policy sets them (the defaults, unconfigured, without one)."""
        return YearFees.from_notice(review_year, dossier.notice(review_year))

    def _fees_in_force(self, review_year, dossier):
        """The fees that price an order now: the year's notice must be published (a dossier of the
        year cannot exist without it, so its absence is a fault to retry, not a price of its own)."""
        notice = dossier.notice(review_year)
        if notice is None:
            raise LookupError(f"{review_year}年度职称评审通知尚未发布,无法确定收费标准")
        return YearFees.from_notice(review_year, notice)

    # -- dossier events ----------------------------------------------------------------------

    def on_city_approved(self, event, dossier, announce=None):
        """The review fee of a city-approved dossier, once per dossier version: an order, or (fee 0)
        no order and the dossier told at once that it owes nothing."""
        opened = self._open_fee(event, dossier, REVIEW_FEE, repo.AWAITING_PAYMENT)
        if opened == published.ZERO_FEE_REFERENCE:
            self.record_zero_fees(dossier, [event["dossier_id"]])
            return None
        self._announce(announce, FEE_ORDER_OPENED, opened)
        return opened

    def on_publicity_ended(self, event, dossier, announce=None):
        """The certificate is due: its fee's order when the year's policy charges one (docs/domain-rules.md
        R8.3), else a note that nothing is owed, which the certificate service asks for."""
        opened = self._open_fee(event, dossier, CERTIFICATE_FEE, repo.CERTIFICATE_DUE)
        if opened == published.ZERO_FEE_REFERENCE:
            return None
        self._announce(announce, FEE_ORDER_OPENED, opened)
        return opened

    def _announce(self, announce, event_type, order):
        """Tell the bus of *order* (announcements.py) once its transaction has committed; *announce* is
        the service's EventAnnouncer (None where nobody listens: direct use and tests)."""
        if announce is not None and order:
            announce(event_type, announcements.order_event(event_type, order, self.clock()))

    def _open_fee(self, event, dossier, kind, status):
        """Advance the dossier's progress to *status* and open the fee of *kind*: the order view,
        ZERO_FEE_REFERENCE when the policy charges 0, or None for an event already applied."""
        snapshot = event["dossier"]
        fees = self._fees_in_force(snapshot["review_year"], dossier)  # read before any lock is held
        now = self.clock()
        with self.engine.begin() as connection:
            if not repo.advance_progress(connection, event["dossier_id"], event["version"], status, now):
                return None
            if fees.amount(kind, snapshot["level"]) == 0:
                repo.record_zero_fee(connection, kind=kind, dossier_id=event["dossier_id"],
                                     review_year=snapshot["review_year"], notice_version=fees.notice_version, now=now,
                                     recorded=kind != REVIEW_FEE)  # only the review fee is told to the dossier
                return published.ZERO_FEE_REFERENCE
            order = repo.create_order(connection, kind=kind, dossier_id=event["dossier_id"],
                                      origin=f"{repo.OPENING_EVENTS[kind]}:{event['version']}", snapshot=snapshot,
                                      fees=fees, now=now,
                                      expires_at=now + timedelta(seconds=self.settings.order_ttl_seconds))
        return repo.order_view(order, now) if order else None

    def on_title_revoked(self, event):
        """A title revoked before its certificate was paid for: the certificate-fee order is cancelled."""
        now, cancelled = self.clock(), []
        with self.engine.begin() as connection:
            if not repo.advance_progress(connection, event["dossier_id"], event["version"], repo.TITLE_REVOKED, now):
                return cancelled
            for order in repo.orders_of_dossier(connection, event["dossier_id"], lock=True, kind=CERTIFICATE_FEE):
                if order["status"] == PENDING:
                    repo.set_order(connection, order["order_id"], now, status=CANCELLED, closed_at=now)
                    repo.void_charge(connection, order, now, note="职称已撤销,取消证书工本费应收")
                    cancelled.append(order["order_id"])
        return cancelled

    def on_withdrawn(self, event):
        """A withdrawn dossier: unpaid orders are cancelled, received fees are refunded."""
        now = self.clock()
        refund_ids, cancelled = [], []
        with self.engine.begin() as connection:
            if not repo.advance_progress(connection, event["dossier_id"], event["version"], repo.WITHDRAWN, now):
                return {"cancelled": [], "refunds": []}
            for order in repo.orders_of_dossier(connection, event["dossier_id"], lock=True):
                if order["status"] == PENDING:
                    repo.set_order(connection, order["order_id"], now, status=CANCELLED, closed_at=now)
                    repo.void_charge(connection, order, now, note="撤销申报,取消应收")
                    cancelled.append(order["order_id"])
                elif order["status"] == PAID:
                    repo.void_charge(connection, order, now, note="撤销申报,冲销应收")
                    repo.set_order(connection, order["order_id"], now, status=REFUNDING)
                    refund = repo.create_refund(connection, order=order, provider=order["provider"],
                                                trade_no=order["trade_no"], amount_fen=order["amount_fen"],
                                                reason="申报人撤销申报,退还评审费", now=now)
                    if refund:
                        refund_ids.append(refund["refund_id"])
        self.submit_refunds(refund_ids)
        return {"cancelled": cancelled, "refunds": refund_ids}

    def on_fee_paid(self, event):
        """The dossier recorded a fee: our order needs no more telling, and if the fee came another way
        (a city admin recorded an offline payment) the dossier's open orders are cancelled."""
        now, order_id = self.clock(), (event.get("data") or {}).get("order_id")
        with self.engine.begin() as connection:
            if not repo.advance_progress(connection, event["dossier_id"], event["version"], repo.FEE_RECORDED, now):
                return
            for order in repo.orders_of_dossier(connection, event["dossier_id"], lock=True, kind=REVIEW_FEE):
                if order["order_id"] == order_id and order["dossier_recorded_at"] is None:
                    repo.set_order(connection, order_id, now, dossier_recorded_at=now)
                elif order["order_id"] != order_id and order["status"] == PENDING:
                    repo.set_order(connection, order["order_id"], now, status=CANCELLED, closed_at=now)
                    repo.void_charge(connection, order, now, note="评审费已通过其他方式缴纳,订单取消")

    # -- the applicant -----------------------------------------------------------------------

    def start_payment(self, actor, order_id):
        """Open the order's payment at the provider; ``{order, payment: {provider, payment_id, cashier_url}}``."""
        now = self.clock()
        order = self._order_or_raise(order_id)
        check_payer(actor, order)
        if order["status"] != PENDING or order["expires_at"] <= now:
            hint = "订单已过期,请重新生成缴费订单" if order["status"] in (PENDING, EXPIRED) else "该订单无需缴费"
            raise OrderNotPayableError(f"订单当前状态为「{repo.order_view(order, now)['status_label']}」,{hint}")
        provider = self._provider(self.default_provider)
        payment = provider.create_payment(PaymentRequest(order_id=order["order_id"], amount_fen=order["amount_fen"],
                                                         subject=f"{order['review_year']}年度{KIND_LABELS[order['kind']]}",
                                                         expires_at=order["expires_at"]))
        with self.engine.begin() as connection:
            repo.set_order(connection, order["order_id"], now, provider=payment.provider,
                           provider_payment_id=payment.payment_id)
            order = repo.get_order(connection, order["order_id"])
            answer = {"order": repo.order_view(order, now),
                      "payment": {"provider": payment.provider, "payment_id": payment.payment_id,
                                  "cashier_url": payment.cashier_url, "expires_at": payment.expires_at.isoformat()}}
            remember(connection, answer)  # a repeat answers this cashier, not a second one
        return answer

    def reopen_order(self, actor, dossier_id, dossier, announce=None):
        """A new order when the last one expired and the dossier still awaits that fee (the review fee
        after acceptance, the certificate fee once publicity has ended), priced by the policy now."""
        now = self.clock()
        with self.engine.connect() as connection:  # the price is read before any row is locked
            existing = repo.orders_of_dossier(connection, dossier_id)
        if not existing:
            raise OrderNotFound("该申报材料没有缴费订单")
        check_payer(actor, existing[0])
        fees = self._fees_in_force(existing[0]["review_year"], dossier)
        with self.engine.begin() as connection:
            status = repo.progress_status(connection, dossier_id)
            kind = next((kind for kind, awaiting in AWAITING.items() if awaiting == status), None)
            existing = repo.orders_of_dossier(connection, dossier_id, lock=True, kind=kind) if kind else []
            if not existing:
                raise OrderNotReopenableError("该申报材料当前不处于待缴费状态")
            for order in existing:  # past its time but not yet swept: close it now
                if order["status"] == PENDING and order["expires_at"] <= now:
                    repo.set_order(connection, order["order_id"], now, status=EXPIRED, closed_at=now)
                    repo.void_charge(connection, order, now, note="逾期未缴费,订单关闭")
                    order["status"] = EXPIRED
            if any(order["status"] in (PENDING, PAID, REFUNDING) for order in existing):
                raise OrderNotReopenableError("该申报材料已有未过期或已缴费的订单")
            if fees.amount(kind, existing[0]["level"]) == 0:
                raise OrderNotReopenableError(f"{existing[0]['review_year']}年度政策现已不收取{KIND_LABELS[kind]},"
                                              "无需重新生成订单,请联系市人社局处理")
            order = repo.create_order(connection, kind=kind, dossier_id=dossier_id,
                                      origin=f"reopened:{len(existing) + 1}", snapshot=existing[0], fees=fees,
                                      now=now, expires_at=now + timedelta(seconds=self.settings.order_ttl_seconds))
            answer = repo.order_view(order, now)
            remember(connection, answer)
        self._announce(announce, FEE_ORDER_OPENED, answer)
        return answer

    def certificate_fee(self, dossier_id):
        """Whether the dossier's certificate may be issued as far as its fee goes: ``{state, ...}`` with a
        state of shared/contracts/payment.py (not required, paid, unpaid, or undecided yet)."""
        with self.engine.connect() as connection:
            zero = repo.zero_fee(connection, dossier_id, CERTIFICATE_FEE)
            found = repo.orders_of_dossier(connection, dossier_id, kind=CERTIFICATE_FEE)
        answer = {"dossier_id": str(dossier_id), "amount_fen": None, "order_id": None, "notice_version": None}
        paid = [order for order in found if order["status"] == PAID]
        if zero is not None:
            answer.update(state=published.FEE_NOT_REQUIRED, amount_fen=0, notice_version=zero["notice_version"])
        elif found:
            order = (paid or found)[0]
            answer.update(state=published.FEE_PAID if paid else published.FEE_UNPAID, amount_fen=order["amount_fen"],
                          order_id=order["order_id"], notice_version=order["notice_version"])
        else:
            answer.update(state=published.FEE_UNDECIDED)
        return dict(answer, state_label=published.CERTIFICATE_FEE_STATE_LABELS[answer["state"]])

    # -- provider notifications ----------------------------------------------------------------

    def handle_notification(self, provider_name, headers, body, dossier=None, announce=None):
        """Accept a provider notification, or refuse it changing nothing (NotificationRejected)."""
        received_at, note = self.clock(), None
        try:
            provider = self._provider(provider_name)
            note = provider.verify_notification(headers, body)
            if not within_window(note.signed_at, received_at, self.settings.notification_window_seconds):
                raise StaleNotificationError(
                    f"通知时间戳超出允许的 {self.settings.notification_window_seconds} 秒时间窗,不予处理")
            with self.engine.begin() as connection:
                notifications.remember_nonce(connection, provider.name, note.nonce, received_at)
                outcome = notifications.apply(connection, note, received_at)
        except (NotificationRejected, UnknownProviderError) as refusal:
            self._log_notification(provider_name, received_at, refusal.code, note and note.notification_id,
                                   note and note.order_id, body, refusal.message)
            log.warning("notification from %s refused: %s", provider_name, refusal.message)
            raise
        self._log_notification(provider_name, received_at, outcome.outcome, note.notification_id, note.order_id,
                               body, outcome.message)
        if self.simulator is not None and provider.name == "simulator":
            # Our own simulator learns at once that the merchant took it (a real provider learns it
            # from our 2xx answer); without this it would send the notification again later.
            self.simulator.acknowledge(note.notification_id)
        self._follow_up(outcome, dossier, announce)
        return dict(outcome.to_dict(), notification_id=note.notification_id, kind=note.kind)

    def _follow_up(self, outcome, dossier, announce=None):
        if outcome.outcome in notifications.MONEY_TAKEN:  # this notification, not a repeat, paid the order
            self._announce(announce, FEE_ORDER_PAID, self.get_order(outcome.order_id))
        if outcome.record_fee and dossier is not None:
            self.record_fees(dossier, [outcome.order_id])
        if outcome.refund_ids:
            self.submit_refunds(outcome.refund_ids)

    def _log_notification(self, provider, received_at, outcome, notification_id, order_id, body, message):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        with self.engine.begin() as connection:
            connection.execute(insert(notification_log).values(
                provider=str(provider)[:32], received_at=received_at, outcome=outcome, notification_id=notification_id,
                order_id=order_id, body=text[:20000], message=message))

    # -- follow-ups and periodic duties --------------------------------------------------------

    def record_fees(self, dossier, order_ids=None):
        """Tell the dossier about paid orders it has not recorded; failures stay for the next sweep."""
        with self.engine.connect() as connection:
            pending = [order for order in repo.unrecorded_paid_orders(connection)
                       if order_ids is None or order["order_id"] in order_ids]
        done = []
        for order in pending:
            try:
                result = dossier.record_fee_paid(order["dossier_id"], order["order_id"], order["amount_fen"])
            except Exception as error:  # dossier unreachable or busy: the sweep retries
                log.warning("recording fee of %s on dossier %s failed: %s", order["order_id"], order["dossier_id"], error)
                continue
            with self.engine.begin() as connection:
                now = self.clock()
                repo.set_order(connection, order["order_id"], now, dossier_recorded_at=now)
            if result not in (RECORDED, ALREADY):
                # The dossier moved on (withdrawn meanwhile); its withdrawal event refunds the order.
                log.warning("dossier %s refused fee of order %s", order["dossier_id"], order["order_id"])
            done.append((order["order_id"], result))
        return done

    def record_zero_fees(self, dossier, dossier_ids=None):
        """Tell the dossier that its review fee is 0 (it proceeds as paid); failures stay for the sweep."""
        with self.engine.connect() as connection:
            pending = [dossier_id for dossier_id in repo.unrecorded_zero_review_fees(connection)
                       if dossier_ids is None or dossier_id in dossier_ids]
        done = []
        for dossier_id in pending:
            try:
                result = dossier.record_fee_paid(dossier_id, published.ZERO_FEE_REFERENCE, 0)
            except Exception as error:  # dossier unreachable or busy: the sweep retries
                log.warning("recording the zero review fee of dossier %s failed: %s", dossier_id, error)
                continue
            with self.engine.begin() as connection:
                repo.set_zero_fee_recorded(connection, dossier_id, self.clock())
            if result not in (RECORDED, ALREADY):
                log.warning("dossier %s refused its zero review fee (it moved on)", dossier_id)
            done.append((dossier_id, result))
        return done

    def submit_refunds(self, refund_ids=None):
        """Send requested refunds to the provider; the refund notification confirms each one later."""
        with self.engine.connect() as connection:
            pending = repo.refunds_to_submit(connection, refund_ids)
        submitted = []
        for refund in pending:
            try:
                receipt = self._provider(refund["provider"]).refund(
                    refund_id=refund["refund_id"], order_id=refund["order_id"], trade_no=refund["trade_no"],
                    amount_fen=refund["amount_fen"], reason=refund["reason"])
            except (ProviderError, UnknownProviderError, OSError) as error:
                with self.engine.begin() as connection:
                    repo.set_refund(connection, refund["refund_id"], attempts=refund["attempts"] + 1,
                                    last_error=str(error)[:500])
                continue
            with self.engine.begin() as connection:
                repo.set_refund(connection, refund["refund_id"], status=REFUND_SUBMITTED, submitted_at=self.clock(),
                                attempts=refund["attempts"] + 1, provider_refund_no=receipt.provider_refund_no)
            submitted.append(refund["refund_id"])
        return submitted

    def expire_due_orders(self, dossier=None, announce=None):
        """Close unpaid orders past their time. The provider is asked first, so a payment whose
        notification went missing is taken, not expired. Safe with many instances (SKIP LOCKED)."""
        now = self.clock()
        with self.engine.connect() as connection:
            due = repo.due_pending_orders(connection, now)
        expired = []
        for order_id in due:
            with self.engine.begin() as connection:
                order = repo.lock_order(connection, order_id, skip_locked=True)
                if order is None or order["status"] != PENDING or order["expires_at"] > now:
                    continue
                try:
                    status = self._provider(order["provider"]).query(order_id) if order["provider"] else None
                except Exception as error:  # the provider cannot say: try again next sweep, do not guess
                    log.warning("cannot query %s before expiring it: %s", order_id, error)
                    continue
                if status is not None and status.state == PAYMENT_SUCCEEDED:
                    note = Notification(provider=order["provider"], kind=PAYMENT_NOTIFICATION,
                                        notification_id=f"query:{order_id}", order_id=order_id,
                                        amount_fen=status.amount_fen, trade_no=status.trade_no,
                                        occurred_at=status.paid_at, signed_at=now, nonce="")
                    outcome = notifications.apply_payment(connection, note, now)
                else:
                    repo.set_order(connection, order_id, now, status=EXPIRED, closed_at=now)
                    repo.void_charge(connection, order, now, note="逾期未缴费,订单关闭")
                    expired.append(order_id)
                    continue
            self._follow_up(outcome, dossier, announce)
        return expired

    def prune_nonces(self):
        cutoff = self.clock() - timedelta(seconds=max(self.settings.nonce_retention_seconds,
                                                      2 * self.settings.notification_window_seconds))
        with self.engine.begin() as connection:
            return connection.execute(delete(notification_nonces).where(notification_nonces.c.received_at < cutoff)).rowcount

    # -- queries -------------------------------------------------------------------------------

    def get_order(self, order_id):
        return repo.order_view(self._order_or_raise(order_id), self.clock())

    def orders_of_dossier(self, dossier_id):
        with self.engine.connect() as connection:
            rows = repo.orders_of_dossier(connection, dossier_id)
            result = []
            for order in rows:
                view = repo.order_view(order, self.clock())
                view["refunds"] = [repo.refund_view(refund) for refund in repo.refunds_of_order(connection, order["order_id"])]
                result.append(view)
        return result

    def _order_or_raise(self, order_id):
        with self.engine.connect() as connection:
            order = repo.get_order(connection, order_id)
        if order is None:
            raise OrderNotFound(f"订单 {order_id} 不存在")
        return order

    def _provider(self, name):
        provider = self.providers.get(name)
        if provider is None:
            raise UnknownProviderError(f"未配置的支付渠道:{name}")
        return provider

    def health(self):
        with self.engine.connect() as connection:
            pending = connection.execute(select(func.count()).select_from(orders_table).where(
                orders_table.c.status == PENDING)).scalar()
            unrecorded = len(repo.unrecorded_paid_orders(connection))
        return {"pending_orders": pending, "paid_not_recorded": unrecorded, "providers": sorted(self.providers)}
