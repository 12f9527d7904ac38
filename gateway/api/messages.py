"""The message centre (站内消息) over JSON: a person's own messages and marking them read, their SMS
preferences, and — for the city admin office and auditors — the deliveries of every channel, with a
failed one sent again. Every query and body is checked with the notification contract's schemas
(shared/contracts/notification.py) here, before the notification service is asked; it checks again."""
from shared.roles import AUDITOR, CITY_ADMIN

from ..compose.messages import (
    delivery_query, inbox_query, mark_read_request, preference_actor, preferences_request, reader,
    retry_request,
)
from ..web import json_body, ok, query_args
from .http import http


class MessageRoutes:
    # -- a person's own ---------------------------------------------------------------------------

    @http("GET", "/api/v1/messages")
    def list_messages(self, request):
        """The caller's messages, newest first: ``{items, total, unread, page, per_page}``."""
        actor = reader(self.principal(request))
        return ok(self.notification.inbox(actor.to_dict(), inbox_query(query_args(request))))

    @http("POST", "/api/v1/messages/read")
    def mark_messages_read(self, request):
        """``{message_ids: [...]}`` or ``{all: true}``: the caller's own messages marked read → ``{marked}``."""
        actor = reader(self.principal(request))
        return ok(self.notification.mark_read(actor.to_dict(), mark_read_request(json_body(request))))

    @http("GET", "/api/v1/me/notification-preferences")
    def notification_preferences(self, request):
        """``{items: [{kind, label, sms_enabled, required}]}``: the kinds that reach the caller's role
        (``?role=`` when they hold several that receive messages)."""
        actor = preference_actor(self.principal(request), query_args(request).get("role"))
        return ok(self.notification.preferences(actor.to_dict()))

    @http("PUT", "/api/v1/me/notification-preferences")
    def set_notification_preferences(self, request):
        """``{sms: {kind: bool}}``: turn SMS of a kind on or off; a kind the process requires cannot be
        turned off (422, names the kind)."""
        actor = preference_actor(self.principal(request), query_args(request).get("role"))
        return ok(self.notification.set_preferences(actor.to_dict(), preferences_request(json_body(request))))

    # -- the delivery monitor -------------------------------------------------------------------

    @http("GET", "/api/v1/notifications/deliveries")
    def notification_deliveries(self, request):
        """Deliveries (SMS and in-app), ``?status=`` pending/held/sent/failed: ``{items, total, counts}``,
        phones masked; for city admins and auditors."""
        actor = self.principal(request).actor(CITY_ADMIN, AUDITOR)
        return ok(self.notification.deliveries(actor.to_dict(), delivery_query(query_args(request))))

    @http("POST", "/api/v1/notifications/deliveries/<delivery_id>/retry")
    def retry_notification_delivery(self, request, delivery_id):
        """A failed delivery queued again now (city admin) → the delivery."""
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok(self.notification.retry_delivery(actor.to_dict(), retry_request(delivery_id)))

