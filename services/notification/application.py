"""The notification service's use cases: record an event's messages once, read and mark the message
centre, keep SMS preferences, watch and retry deliveries, queue identity's codes, answer health.

``record`` is the one writer of messages: in one transaction it marks the event handled, inserts
each in-app message and each allowed SMS with ``ON CONFLICT DO NOTHING`` on their unique keys
(tables.py), and runs the caller's bookkeeping (the dossier tracker, the digest's submissions) —
so an event handled twice, or by two instances at once, leaves one message per person and channel.
"""
import uuid
from datetime import timedelta

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from shared.clock import utc_now
from shared.contracts.identity import normalize_phone
from shared.contracts.notification import (
    AUDIENCE, DELIVERY_STATES, FAILED, HELD, KIND_LABELS, PENDING, REQUIRED_KINDS, REQUIRED_SMS_NOTE, SENT, VERIFICATION_CODES,
)
from shared.contracts.notification_errors import (
    DeliveryNotFound, DeliveryNotRetryableError, NotificationNotAllowedError, OutboxNotExposedError,
    PreferenceLockedError,
)
from shared.db import ensure_database, make_engine
from shared.errors import ValidationFailed
from shared.roles import AUDITOR, CITY_ADMIN

from .delivery import DeliveryWorker, queued_row
from .privacy import mask_phone, masking_logger
from .tables import deliveries, dossier_tracker, handled_events, messages, metadata, preferences
from .templates import CODE_LABELS, DEFAULT_SIGN_NAME, render, render_code

log = masking_logger(__name__)
_CREATE_TABLES_LOCK = 0x4B4D_4E54  # pg advisory lock: one instance creates the tables at a time
CODE_RECIPIENT = "code"  # recipient_id of identity's codes: their reference is the event key


class Notifications:
    def __init__(self, database_url, *, sender, sign_name=DEFAULT_SIGN_NAME, clock=utc_now, policy=None,
                 expose_outbox=False, pool_size=5, delivery_batch=50):
        ensure_database(database_url)
        self.engine = make_engine(database_url, pool_size=pool_size)
        self.clock, self.sign_name, self.expose_outbox = clock, sign_name, expose_outbox
        self.worker = DeliveryWorker(self.engine, sender, clock, policy, batch=delivery_batch)
        self.directory_cache = {}  # what recipients.Directory keeps between handlings (the city office's id)
        self.digests = self.reminders = None  # set by dependencies.build_notifications (digest.py, reminders.py)
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
            metadata.create_all(connection)

    def close(self):
        self.engine.dispose()

    # --- messages from events ----------------------------------------------------------------------

    def handled(self, event_key):
        """True once *event_key* was recorded: a redelivery need not look its people up again."""
        with self.engine.connect() as connection:
            return connection.execute(select(handled_events.c.event_key).where(
                handled_events.c.event_key == event_key)).first() is not None

    def record(self, event_key, source, event_type, outgoing, bookkeeping=None):
        """Write *outgoing* (compose.Message) for the event *event_key* once, with *bookkeeping(connection)*
        in the same transaction; ``{messages, sms}``: how many rows this call added."""
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(insert(handled_events).values(
                event_key=event_key, source=source, event_type=event_type, handled_at=now).on_conflict_do_nothing())
            added = self.write_messages(connection, event_key, outgoing, now)
            if bookkeeping is not None:
                bookkeeping(connection)
        return added

    def write_messages(self, connection, event_key, outgoing, now):
        """Insert each message in-app and, where the person has a phone and wants it, as an SMS."""
        off = _sms_turned_off(connection, {(message.person.account_id, message.kind) for message in outgoing})
        added = {"messages": 0, "sms": 0}
        for message in outgoing:
            person, rendered = message.person, render(message.kind, message.params, self.sign_name)
            added["messages"] += connection.execute(insert(messages).values(
                id=str(uuid.uuid4()), event_key=event_key, account_id=person.account_id, kind=message.kind,
                title=rendered.title[:200], body=rendered.body, link=message.link, dossier_id=message.dossier_id,
                created_at=now).on_conflict_do_nothing(constraint="messages_once_per_event_and_person")).rowcount
            turned_off = (person.account_id, message.kind) in off and message.kind not in REQUIRED_KINDS
            if not person.phone or turned_off:
                continue
            row = queued_row(event_key=event_key, recipient_id=person.account_id, kind=message.kind,
                             phone=person.phone, template=message.kind, body=rendered.sms, now=now,
                             params={name: str(value) for name, value in message.params.items()},
                             account_id=person.account_id, dossier_id=message.dossier_id)
            added["sms"] += connection.execute(insert(deliveries).values(row).on_conflict_do_nothing(
                constraint="deliveries_once_per_event_person_channel")).rowcount
        return added

    def track(self, connection, event):
        """Keep the dossier's tracker at the newest version seen (an older event never lowers it)."""
        snapshot = event["dossier"]
        values = {"dossier_id": event["dossier_id"], "version": event["version"], "status": event["status"],
                  "applicant_id": snapshot["applicant_id"], "applicant_name": snapshot["applicant_name"][:100],
                  "unit_id": snapshot["unit_id"], "unit_name": snapshot["unit_name"][:200],
                  "review_year": snapshot["review_year"], "series": snapshot["series"], "level": snapshot["level"],
                  "updated_at": self.clock()}
        statement = insert(dossier_tracker).values(values)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[dossier_tracker.c.dossier_id],
            set_={name: statement.excluded[name] for name in values if name != "dossier_id"},
            where=dossier_tracker.c.version < statement.excluded.version))

    # --- the message centre --------------------------------------------------------------------------

    def inbox(self, actor, query):
        mine = messages.c.account_id == actor.account_id
        shown = and_(mine, messages.c.read_at.is_(None)) if query["unread_only"] else mine
        page, per_page = query["page"], query["per_page"]
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(messages).where(shown)).scalar()
            unread = _unread(connection, actor.account_id)
            rows = connection.execute(select(messages).where(shown)
                                      .order_by(messages.c.created_at.desc(), messages.c.id.desc())
                                      .limit(per_page).offset((page - 1) * per_page)).mappings().all()
        return {"items": [_message(row) for row in rows], "total": total, "unread": unread, "page": page,
                "per_page": per_page}

    def unread_count(self, actor):
        with self.engine.connect() as connection:
            return {"unread": _unread(connection, actor.account_id)}

    def mark_read(self, actor, data):
        if not data["all"] and not data["message_ids"]:
            raise ValidationFailed("请指明要标记为已读的消息", fields={"message_ids": ["请选择消息,或选择全部标记为已读"]})
        condition = and_(messages.c.account_id == actor.account_id, messages.c.read_at.is_(None))
        if not data["all"]:
            condition = and_(condition, messages.c.id.in_(data["message_ids"]))
        with self.engine.begin() as connection:
            marked = connection.execute(update(messages).where(condition).values(read_at=self.clock())).rowcount
        return {"marked": marked}

    # --- SMS preferences ---------------------------------------------------------------------------

    def preferences(self, actor):
        kinds = kinds_for(actor.role)
        with self.engine.connect() as connection:
            off = _sms_turned_off(connection, {(actor.account_id, kind) for kind in kinds})
        return {"items": [{"kind": kind, "label": KIND_LABELS[kind], "required": kind in REQUIRED_KINDS,
                           "sms_enabled": kind in REQUIRED_KINDS or (actor.account_id, kind) not in off}
                          for kind in kinds]}

    def set_preferences(self, actor, data):
        kinds = kinds_for(actor.role)
        foreign = {kind: ["此类消息不会发送给您当前的角色"] for kind in data["sms"] if kind not in kinds}
        if foreign:
            raise ValidationFailed("短信设置有误,请按提示修改", fields={"sms": foreign})
        locked = [kind for kind, enabled in data["sms"].items() if not enabled and kind in REQUIRED_KINDS]
        if locked:
            labels = "、".join(f"“{KIND_LABELS[kind]}”" for kind in locked)
            raise PreferenceLockedError(f"{labels}是办理流程必需的通知,不能关闭短信提醒",
                                        fields={"sms": {kind: [REQUIRED_SMS_NOTE] for kind in locked}})
        now = self.clock()
        with self.engine.begin() as connection:
            for kind, enabled in data["sms"].items():
                statement = insert(preferences).values(account_id=actor.account_id, kind=kind, sms_enabled=enabled,
                                                       updated_at=now)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[preferences.c.account_id, preferences.c.kind],
                    set_={"sms_enabled": statement.excluded.sms_enabled, "updated_at": now}))
        return self.preferences(actor)

    # --- deliveries --------------------------------------------------------------------------------

    def deliveries(self, actor, query):
        if actor.role not in (CITY_ADMIN, AUDITOR):
            raise NotificationNotAllowedError("短信发送记录仅供市人社局审核员和审计人员查看")
        shown = deliveries.c.status == query["status"] if query["status"] else text("true")
        page, per_page = query["page"], query["per_page"]
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(deliveries).where(shown)).scalar()
            counts = dict(connection.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status)).all())
            rows = connection.execute(select(deliveries).where(shown)
                                      .order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
                                      .limit(per_page).offset((page - 1) * per_page)).mappings().all()
        return {"items": [delivery_item(row) for row in rows], "total": total,
                "counts": {state: counts.get(state, 0) for state in DELIVERY_STATES}}

    def retry_delivery(self, actor, delivery_id):
        """Queue a failed delivery again now, with a fresh round of attempts (city admins)."""
        if actor.role != CITY_ADMIN:
            raise NotificationNotAllowedError("只有市人社局审核员可以重发短信")
        with self.engine.begin() as connection:
            row = connection.execute(select(deliveries).where(deliveries.c.id == delivery_id)
                                     .with_for_update()).mappings().first()
            if row is None:
                raise DeliveryNotFound(f"短信发送记录 {delivery_id} 不存在")
            if row["status"] != FAILED:
                raise DeliveryNotRetryableError(
                    f"只有发送失败的短信可以重发,这条短信的状态是“{DELIVERY_STATES[row['status']]}”")
            row = connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
                status=PENDING, attempts=0, next_attempt_at=self.clock()).returning(*deliveries.c)).mappings().one()
        log.info("SMS %s to %s queued again by %s", delivery_id, mask_phone(row["phone"]), actor.account_id)
        return delivery_item(row)

    def send_code(self, data):
        """Queue one of identity's texts (a verification code goes at any hour, a notice waits for the
        morning); the same reference twice queues once."""
        try:
            phone = normalize_phone(data["phone"])
        except ValueError as problem:
            raise ValidationFailed("手机号码有误", fields={"phone": [str(problem)]}) from None
        try:
            body = render_code(data["template"], data["params"], self.sign_name)
        except (KeyError, IndexError) as missing:
            raise ValidationFailed("验证码短信的参数不全", fields={"params": [f"缺少参数 {missing}"]}) from None
        event_key = f"code:{data['reference']}"
        row = queued_row(event_key=event_key, recipient_id=CODE_RECIPIENT, kind=data["template"], phone=phone,
                         template=data["template"], params=dict(data["params"]), body=body, now=self.clock(),
                         urgent=data["template"] in VERIFICATION_CODES)
        with self.engine.begin() as connection:
            connection.execute(insert(deliveries).values(row).on_conflict_do_nothing(
                constraint="deliveries_once_per_event_person_channel"))
            delivery_id = connection.execute(select(deliveries.c.id).where(
                deliveries.c.event_key == event_key, deliveries.c.recipient_id == CODE_RECIPIENT)).scalar_one()
        return {"delivery_id": delivery_id}

    def outbox(self, query):
        """The SMS as the outbox holds them, full numbers included: development and tests only."""
        if not self.expose_outbox:
            raise OutboxNotExposedError("本环境未开放短信发件箱(SMS.EXPOSE_OUTBOX)")
        shown = deliveries.c.phone == query["phone"] if query["phone"] else text("true")
        with self.engine.connect() as connection:
            rows = connection.execute(select(deliveries).where(shown).order_by(
                deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(query["limit"])).mappings().all()
        return {"items": [{"delivery_id": row["id"], "phone": row["phone"], "kind": row["kind"], "body": row["body"],
                           "status": row["status"], "created_at": row["created_at"], "sent_at": row["sent_at"]}
                          for row in rows]}

    def health(self):
        now = self.clock()
        with self.engine.connect() as connection:
            counts = dict(connection.execute(select(deliveries.c.status, func.count()).where(
                deliveries.c.status.in_([PENDING, HELD, FAILED])).group_by(deliveries.c.status)).all())
            oldest = connection.execute(select(func.min(deliveries.c.created_at)).where(
                deliveries.c.status == PENDING)).scalar()
            last = connection.execute(select(deliveries.c.last_error, deliveries.c.last_attempt_at).where(
                deliveries.c.last_error.is_not(None)).order_by(deliveries.c.last_attempt_at.desc()).limit(1)).first()
            sent = connection.execute(select(func.count()).select_from(deliveries).where(
                deliveries.c.status == SENT, deliveries.c.sent_at >= now - timedelta(hours=24))).scalar()
        return {"backlog": {state: counts.get(state, 0) for state in (PENDING, HELD, FAILED)},
                "oldest_pending_seconds": max((now - oldest).total_seconds(), 0.0) if oldest else None,
                "last_send_error": last.last_error if last else None,
                "last_send_error_at": last.last_attempt_at if last else None,
                "sent_last_24h": sent, "sender": self.worker.sender.name}


def kinds_for(role):
    """The kinds of message that reach *role*, in the contract's order."""
    return [kind for kind in KIND_LABELS if AUDIENCE[kind] == role]


def _sms_turned_off(connection, pairs):
    """The (account, kind) pairs among *pairs* whose SMS the person turned off."""
    if not pairs:
        return set()
    accounts = {account for account, _ in pairs}
    rows = connection.execute(select(preferences.c.account_id, preferences.c.kind).where(
        preferences.c.account_id.in_(accounts), preferences.c.sms_enabled.is_(False))).all()
    return {(row.account_id, row.kind) for row in rows} & set(pairs)


def _unread(connection, account_id):
    return connection.execute(select(func.count()).select_from(messages).where(
        messages.c.account_id == account_id, messages.c.read_at.is_(None))).scalar()


def _message(row):
    return {"message_id": row["id"], "kind": row["kind"], "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
            "title": row["title"], "body": row["body"], "link": row["link"], "dossier_id": row["dossier_id"],
            "created_at": row["created_at"], "read_at": row["read_at"]}


def delivery_item(row):
    """A delivery as ``deliveries`` answers it: the number masked."""
    return {"delivery_id": row["id"], "channel": row["channel"], "kind": row["kind"],
            "kind_label": KIND_LABELS.get(row["kind"]) or CODE_LABELS.get(row["kind"], row["kind"]),
            "recipient_masked": mask_phone(row["phone"]), "status": row["status"], "attempts": row["attempts"],
            "next_attempt_at": row["next_attempt_at"], "last_error": row["last_error"],
            "created_at": row["created_at"], "sent_at": row["sent_at"]}
