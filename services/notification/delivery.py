"""The SMS delivery worker: queued rows are sent by a timer, retried with back-off, held at night.

Every instance runs the same timer. Each takes one due row at a time with ``SELECT … FOR UPDATE
SKIP LOCKED``, so instances never send the same row at once and never wait for one another; the
row lock is held while the sender works and released with the row's new state (sent, retry at a
later time, failed, or held). A process that dies mid-send leaves its row as it was, due again: an
SMS is sent at least once and, short of such a crash, exactly once.

Quiet hours (shared.contracts.notification.QUIET_HOURS, Beijing time): an SMS other than a code is
not sent then; it is ``held`` until the next end of the quiet hours (08:00 Beijing), when the same
timer sends it. Codes (``urgent``) go at any hour.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select, update

from shared.clock import BEIJING, utc_now
from shared.contracts.notification import FAILED, HELD, PENDING, QUIET_HOURS, SENT, SMS
from shared.timers import setting_at

from .privacy import mask_phone, masked_phones, masking_logger
from .senders import SendFailed, Sms
from .tables import deliveries

log = masking_logger(__name__)


def in_quiet_hours(moment, hours=QUIET_HOURS):
    """True when *moment* (aware) falls in the quiet hours, Beijing time (start inclusive, end exclusive)."""
    start, end = hours
    hour = moment.astimezone(BEIJING).hour
    return (hour >= start or hour < end) if start > end else start <= hour < end


def quiet_hours_end(moment, hours=QUIET_HOURS):
    """The first instant (UTC) at or after *moment* outside the quiet hours: the next 08:00 Beijing."""
    if not in_quiet_hours(moment, hours):
        return moment
    local = moment.astimezone(BEIJING)
    day = local.date() if local.hour < hours[1] else local.date() + timedelta(days=1)
    return datetime.combine(day, time(hours[1]), tzinfo=BEIJING).astimezone(timezone.utc)


@dataclass(frozen=True)
class RetryPolicy:
    """After the n-th failed attempt the next waits ``min(base · 2ⁿ⁻¹, cap)``; after ``max_attempts``
    the delivery is ``failed`` until an administrator retries it (``retry_delivery``)."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8

    @classmethod
    def from_config(cls, config):
        defaults = cls()

        def setting(name, default):
            return setting_at(config or {}, f"DELIVERY.{name}", default)

        return cls(float(setting("retry_base_seconds", defaults.base_seconds)),
                   float(setting("retry_cap_seconds", defaults.cap_seconds)),
                   max(int(setting("max_attempts", defaults.max_attempts)), 1))

    def delay(self, attempts):
        return timedelta(seconds=min(self.base_seconds * 2 ** max(attempts - 1, 0), self.cap_seconds))


def queued_row(*, event_key, recipient_id, kind, phone, template, params, body, now, account_id=None,
               dossier_id=None, urgent=False):
    """A new SMS delivery: pending now, or held until the quiet hours end."""
    held = not urgent and in_quiet_hours(now)
    return {"id": str(uuid.uuid4()), "event_key": event_key, "recipient_id": recipient_id, "channel": SMS,
            "kind": kind, "account_id": account_id, "phone": phone, "template": template, "params": params,
            "body": body, "dossier_id": dossier_id, "urgent": urgent, "status": HELD if held else PENDING,
            "attempts": 0, "next_attempt_at": quiet_hours_end(now) if held else now, "created_at": now}


class DeliveryWorker:
    def __init__(self, engine, sender, clock=utc_now, policy=None, batch=50):
        self.engine, self.sender, self.clock = engine, sender, clock
        self.policy = policy or RetryPolicy()
        self.batch = batch

    def deliver_due(self):
        """Send (or hold, or schedule again) up to ``batch`` due deliveries; ``{outcome: count}``."""
        outcomes = {}
        for _ in range(self.batch):
            outcome = self._one(deliveries.c.next_attempt_at <= self.clock())
            if outcome is None:
                break
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    def deliver_now(self, delivery_id):
        """Try one delivery at once (a code just asked for); another instance holding it sends it instead."""
        return self._one(deliveries.c.id == delivery_id)

    def _one(self, condition):
        with self.engine.begin() as connection:
            row = connection.execute(
                select(deliveries).where(deliveries.c.status.in_([PENDING, HELD]), condition)
                .order_by(deliveries.c.next_attempt_at).limit(1).with_for_update(skip_locked=True)).mappings().first()
            if row is None:
                return None
            outcome, values = self._attempt(row)
            connection.execute(update(deliveries).where(deliveries.c.id == row["id"]).values(**values))
            return outcome

    def _attempt(self, row):
        now = self.clock()
        if not row["urgent"] and in_quiet_hours(now):
            log.info("SMS %s to %s held until %s (quiet hours)", row["id"], mask_phone(row["phone"]),
                     quiet_hours_end(now).isoformat())
            return HELD, {"status": HELD, "next_attempt_at": quiet_hours_end(now)}
        attempts = row["attempts"] + 1
        try:
            self.sender.send(Sms(row["phone"], row["template"], row["body"], dict(row["params"] or {})))
        except SendFailed as error:
            return self._failed(row, attempts, now, str(error))
        except Exception as error:  # a sender bug must not stop the queue: counted like any failure
            return self._failed(row, attempts, now, masked_phones(f"{type(error).__name__}: {error}")[:500])
        log.info("SMS %s (%s) sent to %s by %s", row["id"], row["kind"], mask_phone(row["phone"]), self.sender.name)
        return SENT, {"status": SENT, "attempts": attempts, "sent_at": now, "last_attempt_at": now,
                      "last_error": None}

    def _failed(self, row, attempts, now, error):
        values = {"attempts": attempts, "last_attempt_at": now, "last_error": error}
        if attempts >= self.policy.max_attempts:
            log.warning("SMS %s to %s failed after %d attempts, given up: %s", row["id"], mask_phone(row["phone"]),
                        attempts, error)
            return FAILED, {**values, "status": FAILED}
        retry_at = now + self.policy.delay(attempts)
        log.warning("SMS %s to %s failed (attempt %d), retried at %s: %s", row["id"], mask_phone(row["phone"]),
                    attempts, retry_at.isoformat(), error)
        return "retry", {**values, "status": PENDING, "next_attempt_at": retry_at}
