"""What the notification service publishes: the kinds of message it sends, their labels and whether a
person may turn their SMS off, its channels and delivery states, the bus events of other services it
consumes (their publishers import the names from here), and the shapes of its RPC answers.

The service itself (services/notification/) turns events into messages; the gateway shows the message
centre (站内消息), the SMS preferences and the delivery monitor from these names.

RPCs of ``notification`` (all answers are plain dicts; ``actor`` is shared.roles.Actor.to_dict()):

- ``inbox(actor, query)`` — query ``{page=1, per_page=20 (≤100), unread_only=False}`` →
  ``{items: [Message], total, unread, page, per_page}``, newest first, the actor's own messages only.
  Message = ``{message_id, kind, kind_label, title, body, link (a path of the site or None), dossier_id,
  created_at (ISO UTC), read_at (ISO UTC or None)}``.
- ``unread_count(actor)`` → ``{unread}``.
- ``mark_read(actor, data)`` — ``{message_ids: [..]}`` or ``{all: true}`` → ``{marked}`` (only the
  actor's own; marking twice changes nothing).
- ``preferences(actor)`` → ``{items: [{kind, label, sms_enabled, required}]}`` for the kinds that reach
  the actor's role; ``set_preferences(actor, data)`` — ``{sms: {kind: bool}}`` → the same answer.
  Turning off a ``required`` kind is refused (``PreferenceLockedError``, 422, names the kind).
- ``deliveries(actor, query)`` — city admin or auditor; query ``{status (a DELIVERY_STATES key or
  None), page, per_page}`` → ``{items: [Delivery], total, counts: {state: n}}``. Delivery =
  ``{delivery_id, channel, kind, kind_label, recipient_masked, status, attempts, next_attempt_at,
  last_error, created_at, sent_at}``.
- ``retry_delivery(actor, data)`` — city admin; ``{delivery_id}`` of a ``failed`` delivery → Delivery
  (queued again now).
- ``send_code(data)`` — for identity only (verification codes, not held in quiet hours):
  ``{phone, template (a CODE_TEMPLATES key), params: {...}, reference}`` → ``{delivery_id}``;
  the same ``reference`` twice sends once.
- ``outbox(query)`` — development and tests only (refused unless ``SMS.EXPOSE_OUTBOX``):
  ``{phone=None, limit=50}`` → ``{items: [{delivery_id, phone, kind, body, status, created_at,
  sent_at}]}`` newest first, the SMS as the outbox sender holds them.
- ``health()`` → ``{status, service, backlog: {pending, held, failed}, oldest_pending_seconds, ...}``.
"""
from marshmallow import Schema, fields

from shared.schemas import Bool, Dict, Int, List, StrictSchema, Str, count, in_range, length, not_blank, one_of

# --- channels and delivery states ---------------------------------------------------------------

IN_APP, SMS = "in_app", "sms"
CHANNELS = {IN_APP: "站内消息", SMS: "短信"}

PENDING, HELD, SENT, FAILED = "pending", "held", "sent", "failed"
DELIVERY_STATES = {PENDING: "待发送", HELD: "夜间暂缓(次日 8:00 发送)", SENT: "已发送", FAILED: "发送失败"}

# SMS are not sent between these Beijing hours (DOMAIN.md §10), except verification codes.
QUIET_HOURS = (22, 8)

# --- kinds of message ----------------------------------------------------------------------------
# kind -> (label, required): a required kind's SMS cannot be turned off (the process needs the person
# to know: a return, a fee due, a result). In-app messages are always kept.

APPLICANT, UNIT_ADMIN, EXPERT, CITY_ADMIN = "applicant", "unit_admin", "expert", "city_admin"

KINDS = {
    # to the applicant, one per step of their dossier
    "dossier_returned": ("申报材料被退回修改", True),
    "dossier_rejected": ("申报不予通过", True),
    "dossier_approved": ("审核通过(单位/主管部门)", False),
    "fee_due": ("市人社局审核通过,待缴费", True),
    "fee_paid": ("缴费成功", False),
    # the year's policy charges no review fee: told once the dossier records it (no order, nothing to pay)
    "fee_waived": ("市人社局审核通过,免收评审费", False),
    "sent_to_review": ("已送评审委员会", False),
    "review_result": ("评审结果", True),
    "publicity_started": ("评审结果公示开始", False),
    "publicity_ended": ("公示结束", False),
    # the certificate fee (证书工本费), charged after publicity when the year's policy sets one
    "certificate_fee_due": ("公示期满,待缴纳证书工本费", True),
    "certificate_fee_paid": ("证书工本费缴纳成功", False),
    "certificate_issued": ("电子证书已签发", False),
    "title_revoked": ("职称被撤销", True),
    "dossier_abandoned": ("申报逾期,视为放弃", True),
    "recalled_from_committee": ("撤回送评", False),
    # reminders to the applicant
    "resubmission_reminder": ("退回修改截止提醒", True),
    "payment_reminder": ("缴费截止提醒", True),
    "draft_reminder": ("申报截止提醒(草稿未提交)", False),
    # to reviewing offices and experts
    "membership_requested": ("人员申请加入单位", False),
    "submissions_digest": ("今日新提交的申报", False),
    "meeting_opened": ("评审会议开始", False),
    "objection_raised": ("收到公示异议", False),
}
KIND_LABELS = {kind: label for kind, (label, _required) in KINDS.items()}
REQUIRED_KINDS = tuple(kind for kind, (_label, required) in KINDS.items() if required)
# Said next to such a kind wherever it is shown or refused (the settings page, the API's field error).
REQUIRED_SMS_NOTE = "流程必需,不能关闭"

# Who receives each kind (the preferences page lists the kinds of the person's role).
AUDIENCE = {
    **{kind: APPLICANT for kind in KINDS},
    "membership_requested": UNIT_ADMIN,
    "submissions_digest": UNIT_ADMIN,
    "meeting_opened": EXPERT,
    "objection_raised": CITY_ADMIN,
}

# Messages identity asks for directly (verification codes and account security): SMS only, sent at
# any hour, never subject to preferences.
CODE_TEMPLATES = ("password_reset_code", "password_changed")
# Of these, only verification codes go out at night (DOMAIN.md §10); a password-change notice waits
# for 08:00 like every other SMS.
VERIFICATION_CODES = ("password_reset_code",)

# --- bus events of other services that notification consumes ------------------------------------
# nameko events: ``@event_handler(<source>, <event type>)``; the publisher dispatches the payload below.

IDENTITY_SOURCE = "identity"
MEMBERSHIP_REQUESTED = "membership_requested"
REVIEW_SOURCE = "review"
MEETING_OPENED = "meeting_opened"


PAYMENT_SOURCE = "payment"
# Payment: a fee order was created (on acceptance, at the end of publicity, or reopened after expiry) /
# its money arrived. Announced for orders of every kind (``kind``: shared/contracts/payment.py
# REVIEW_FEE or CERTIFICATE_FEE); the notification service tells the applicant of certificate-fee
# orders only, since the dossier's own events (city_approved, fee_paid) already tell of the review fee.
FEE_ORDER_OPENED = "fee_order_opened"
FEE_ORDER_PAID = "fee_order_paid"


class FeeOrderEvent(Schema):
    """Payment: one fee order, as it was when it opened or was paid."""

    event_id = fields.String(required=True)  # "<order_id>:opened" or "<order_id>:paid"
    order_id = fields.String(required=True)
    kind = fields.String(required=True)
    dossier_id = fields.String(required=True)
    applicant_id = fields.String(required=True)
    applicant_name = fields.String(required=True)
    review_year = fields.Integer(required=True)
    series = fields.String(required=True)
    level = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    expires_at = fields.String(required=True)  # ISO UTC: the order's own deadline
    occurred_at = fields.String(required=True)  # ISO UTC


class MembershipRequestedEvent(Schema):
    """Identity: an applicant asked to join a unit (the unit's admins confirm or refuse)."""

    event_id = fields.String(required=True)  # the membership id: one message per request
    membership_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    account_id = fields.String(required=True)
    account_name = fields.String(required=True)
    occurred_at = fields.String(required=True)  # ISO UTC


class MeetingOpenedEvent(Schema):
    """Review: a committee meeting opened its vote; its drawn, attending experts are told."""

    event_id = fields.String(required=True)  # "<meeting_id>:opened"
    meeting_id = fields.String(required=True)
    meeting_name = fields.String(required=True)
    committee_name = fields.String(required=True)
    expert_account_ids = fields.List(fields.String(), required=True)
    dossier_count = fields.Integer(required=True)
    occurred_at = fields.String(required=True)  # ISO UTC


# --- RPC inputs (the gateway sends these; the service loads them again) --------------------------

class InboxQuerySchema(StrictSchema):
    page = Int(load_default=1, validate=in_range(1, 10_000))
    per_page = Int(load_default=20, validate=in_range(1, 100))
    unread_only = Bool(load_default=False)


class MarkReadSchema(StrictSchema):
    message_ids = List(Str(validate=[not_blank, length(maximum=36)]), validate=count(1, 200), load_default=None)
    all = Bool(load_default=False)


class PreferencesSchema(StrictSchema):
    sms = Dict(keys=Str(validate=one_of(KINDS)), values=Bool(), required=True)


class DeliveryQuerySchema(StrictSchema):
    status = Str(load_default=None, allow_none=True, validate=one_of(DELIVERY_STATES))
    page = Int(load_default=1, validate=in_range(1, 10_000))
    per_page = Int(load_default=50, validate=in_range(1, 200))


class RetryDeliverySchema(StrictSchema):
    delivery_id = Str(required=True, validate=[not_blank, length(maximum=36)])


class SendCodeSchema(StrictSchema):
    phone = Str(required=True, validate=[not_blank, length(maximum=20)])
    template = Str(required=True, validate=one_of(CODE_TEMPLATES))
    params = Dict(keys=Str(validate=length(maximum=32)), values=Str(validate=length(maximum=64)),
                  load_default=dict)
    reference = Str(required=True, validate=[not_blank, length(maximum=80)])
