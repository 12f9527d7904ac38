"""The message centre's pages: 站内消息 (a person's own messages, newest first, marked read when
opened or by a button), 短信提醒设置 (SMS per kind of message; the kinds the process requires stay
on), and 消息发送 (/admin/notifications: every delivery by state, a failed one sent again by the city
admin office). The notification service answers; shared/contracts/notification.py names the kinds."""
from shared.contracts.notification import CHANNELS, DELIVERY_STATES, FAILED, HELD, PENDING
from shared.errors import PlatformError
from shared.roles import AUDITOR, CITY_ADMIN, ROLE_LABELS

from ..compose.messages import (
    LOCKED, delivery_query, inbox_query, local_link, mark_read_request, preference_actor, preference_roles,
    preferences_from_form, reader, retry_request,
)
from ..web import query_args
from .base import PageBase, refusal
from .handler import page, redirect
from .review_views import paging, query_string

PER_PAGE = 20
DELIVERIES_PER_PAGE = 50


def message_rows(items):
    """The messages as the list shows them: a link only to a path of this site."""
    return [{**item, "link": local_link(item.get("link")), "unread": not item.get("read_at")} for item in items]


def back_to_list(form):
    """Where marking read returns to: the list at the page (and filter) the person was on."""
    keep = {"page": form.get("page", "").strip(), "unread_only": form.get("unread_only", "").strip()}
    keep = {name: value for name, value in keep.items() if value.isascii() and value.isalnum()}
    return "/messages" + (f"?{query_string(keep)}" if keep else "")


class MessagePages(PageBase):
    # -- 站内消息 ---------------------------------------------------------------------------------

    @page("GET", "/messages")
    def messages_page(self, request, session):
        actor = reader(session.principal())
        args = query_args(request)
        try:
            query = inbox_query({name: args[name] for name in ("page", "unread_only") if name in args})
        except PlatformError:  # a page number typed by hand: show the first page
            query = inbox_query({})
        query["per_page"] = PER_PAGE
        listing = self.notification.inbox(actor.to_dict(), query)
        keep = {"unread_only": "1"} if query["unread_only"] else {}
        return self.render_page(session, "messages.html", listing=listing, rows=message_rows(listing["items"]),
                                pager=paging(listing["total"], query["page"], PER_PAGE), keep=keep,
                                unread_only=query["unread_only"], query_string=query_string,
                                unread_badge=listing["unread"])  # the list already knows the header's count

    @page("POST", "/messages/read")
    def mark_messages_read_page(self, request, session):
        """The 标为已读 button of one message, or 全部标为已读 (``all=1``)."""
        actor = reader(session.principal())
        form = request.form
        data = mark_read_request({"all": True} if form.get("all") else {"message_ids": form.getlist("message_id")})
        self.notification.mark_read(actor.to_dict(), data)
        return redirect(back_to_list(form), msg="all_messages_read" if data.get("all") else "messages_read")

    @page("POST", "/messages/<message_id>/open")
    def open_message_page(self, request, session, message_id):
        """Opening a message marks it read and goes where it points (its dossier, its page)."""
        actor = reader(session.principal())
        self.notification.mark_read(actor.to_dict(), mark_read_request({"message_ids": [message_id]}))
        link = local_link(request.form.get("link"))
        return redirect(link or back_to_list(request.form))

    # -- 短信提醒设置 -----------------------------------------------------------------------------

    @page("GET", "/messages/preferences")
    def message_preferences_page(self, request, session):
        return self.preferences_view(session)

    def preferences_view(self, session, status=200, **extra):
        principal = session.principal()
        # One list per role that receives messages (a unit admin who also applies sees both).
        groups = [{"role": role, "role_label": ROLE_LABELS[role],
                   "items": self.notification.preferences(principal.actor(role).to_dict())["items"]}
                  for role in preference_roles(principal)]
        return self.render_page(session, "notification_preferences.html", status=status, groups=groups,
                                locked_text=LOCKED, **extra)

    @page("POST", "/messages/preferences")
    def save_message_preferences_page(self, request, session):
        principal = session.principal()
        form = request.form
        role = form.get("role", "").strip()
        actor = preference_actor(principal, role if role in preference_roles(principal) else None)
        try:
            data = preferences_from_form(form, form.getlist("kind"))
            self.notification.set_preferences(actor.to_dict(), data)
        except PlatformError as error:
            message, _ = refusal(error)
            return self.preferences_view(session, status=error.http_status, message=message)
        return redirect("/messages/preferences", msg="preferences_saved")

    # -- 消息发送 (the city admin office; auditors read) ------------------------------------------

    @page("GET", "/admin/notifications")
    def deliveries_admin_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN, AUDITOR)
        args = query_args(request)
        try:
            query = delivery_query({name: args[name] for name in ("status", "page") if name in args})
        except PlatformError:  # an unknown state typed by hand: show them all
            query = delivery_query({})
        query["per_page"] = DELIVERIES_PER_PAGE
        return self.deliveries_view(session, actor, query)

    def deliveries_view(self, session, actor, query, status=200, **extra):
        listing = self.notification.deliveries(actor.to_dict(), query)
        keep = {"status": query["status"]} if query.get("status") else {}
        return self.render_page(session, "deliveries_admin.html", status=status, listing=listing,
                                states=DELIVERY_STATES, channels=CHANNELS, current=query.get("status"),
                                total=sum((listing.get("counts") or {}).values()),
                                can_retry=actor.role == CITY_ADMIN, FAILED=FAILED, PENDING=PENDING, HELD=HELD, keep=keep,
                                pager=paging(listing["total"], query["page"], DELIVERIES_PER_PAGE),
                                query_string=query_string, **extra)

    @page("POST", "/admin/notifications/<delivery_id>/retry")
    def retry_delivery_page(self, request, session, delivery_id):
        actor = session.principal().actor(CITY_ADMIN)
        shown = request.form.get("status", "").strip()
        back = "/admin/notifications" + (f"?status={shown}" if shown in DELIVERY_STATES else "")
        try:
            self.notification.retry_delivery(actor.to_dict(), retry_request(delivery_id))
        except PlatformError as error:
            query = delivery_query({"status": shown} if shown in DELIVERY_STATES else {})
            query["per_page"] = DELIVERIES_PER_PAGE
            return self.deliveries_view(session, actor, query, status=error.http_status, message=error.message)
        return redirect(back, msg="delivery_requeued")
