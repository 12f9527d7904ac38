"""The message centre (站内消息), the SMS preferences and the delivery monitor as the JSON API and the
pages both take them: who reads and sets what, the queries checked with the contract's schemas
(shared/contracts/notification.py) before the notification service is asked, and the header's unread
count, which never costs a page more than a short wait and never breaks it."""
import logging
import threading
import time

from shared.contracts.notification import (
    AUDIENCE, REQUIRED_KINDS, REQUIRED_SMS_NOTE, DeliveryQuerySchema, InboxQuerySchema, MarkReadSchema, PreferencesSchema,
    RetryDeliverySchema,
)
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise

log = logging.getLogger(__name__)

QUERY_REFUSED = "查询参数有误,请按提示修改"
# The roles that receive some kind of message, in the order a person holding several sees them.
PREFERENCE_ROLES = tuple(dict.fromkeys(AUDIENCE.values()))
LOCKED = REQUIRED_SMS_NOTE


def reader(principal):
    """The Actor whose own messages are read and marked: messages go to the person (their account),
    whatever role they act in, so their first role will do."""
    return principal.primary_actor()


def preference_actor(principal, wanted=None):
    """The Actor whose SMS preferences are read or set: the role *wanted* (one that receives messages
    and that the person holds), else the first such role they hold, else their first role (whose list
    of kinds is then empty)."""
    if wanted:
        if wanted not in PREFERENCE_ROLES:
            raise ValidationFailed(QUERY_REFUSED, fields={"role": [f"应为以下之一:{'、'.join(PREFERENCE_ROLES)}"]})
        return principal.actor(wanted)
    held = preference_roles(principal)
    return principal.actor(held[0]) if held else principal.primary_actor()


def preference_roles(principal):
    """The roles of *principal* that receive messages, each once, in PREFERENCE_ROLES order."""
    return tuple(role for role in PREFERENCE_ROLES if principal.has(role))


def _query(schema, args, names):
    """Load the named query parameters (text, as typed) with *schema*; other parameters are ignored."""
    return load_or_raise(schema, {name: args[name] for name in names if name in args}, message=QUERY_REFUSED)


def inbox_query(args):
    """``{page, per_page, unread_only}`` from query parameters, or a Chinese field error."""
    return _query(InboxQuerySchema(), args, ("page", "per_page", "unread_only"))


def delivery_query(args):
    """``{status, page, per_page}`` from query parameters, or a Chinese field error."""
    return _query(DeliveryQuerySchema(), args, ("status", "page", "per_page"))


def mark_read_request(body):
    """``{message_ids: [...]}`` or ``{all: true}``, checked; one of them must be there."""
    data = load_or_raise(MarkReadSchema(), body)
    if not data.get("all") and not data.get("message_ids"):
        raise ValidationFailed("请指明要标为已读的消息", fields={"message_ids": ["请选择消息,或以 all: true 全部标为已读"]})
    if data.get("all"):
        return {"all": True}
    return {"message_ids": list(dict.fromkeys(data["message_ids"]))}


def preferences_request(body):
    """``{sms: {kind: bool}}``, checked; a required kind cannot be turned off (the service refuses it
    too, and answers which kinds reach the person's role)."""
    data = load_or_raise(PreferencesSchema(), body)
    locked = {kind: [LOCKED] for kind, enabled in data["sms"].items() if kind in REQUIRED_KINDS and not enabled}
    if locked:
        raise ValidationFailed("流程必需的短信提醒不能关闭", fields={"sms": locked})
    return {"sms": dict(data["sms"])}


def preferences_from_form(form, shown):
    """The preferences form as ``{sms: {kind: bool}}``: *shown* are the optional kinds the form listed
    (an unticked checkbox sends nothing, so the list says which were on the page)."""
    return preferences_request({"sms": {kind: form.get(f"sms-{kind}") == "on" for kind in shown}})


def retry_request(delivery_id):
    """``{delivery_id}`` of a delivery to send again, checked."""
    return load_or_raise(RetryDeliverySchema(), {"delivery_id": delivery_id})


def local_link(link):
    """A message's link if it is a path of this site (``/dossiers/…``), else None: the page never links
    elsewhere from a message."""
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


class UnreadBadge:
    """The header's unread count: one short call per page, and after a failed one none at all for a
    while (a slow or stopped notification service must not slow every page down). Process-wide."""

    def __init__(self, wait_seconds=1.0, rest_seconds=15.0, clock=time.monotonic):
        self.wait_seconds, self.rest_seconds, self.clock = wait_seconds, rest_seconds, clock
        self.resting_until = 0.0
        self._lock = threading.Lock()

    def count(self, notification, principal):
        """The number of unread messages of *principal*, or None (no badge) when it cannot be had now."""
        if principal is None or not principal.roles or self.clock() < self.resting_until:
            return None
        try:
            answer = notification.unread_count.call_async(reader(principal).to_dict()).result(within=self.wait_seconds)
            return int(answer["unread"])
        except Exception as error:  # any failure only hides the badge
            with self._lock:
                self.resting_until = self.clock() + self.rest_seconds
            log.warning("unread count unavailable (%r): pages render without it for %.0f s", error, self.rest_seconds)
            return None


UNREAD_BADGE = UnreadBadge()
