"""How identity tells people things (SMS reset codes): a sender interface and its adapters.

``OutboxSender`` (the default) records each message in the ``notification_outbox`` table inside the
use case's transaction; the demo console and the tests read it from there. ``HttpSmsSender``
records the same row and, once the transaction commits, posts it to an SMS gateway over HTTP.
Which one runs is the ``SMS.SENDER`` setting in config.yaml.
"""
import json
import logging
import threading
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from sqlalchemy import event, update

from shared.clock import utc_now

from .tables import OutboxMessage

log = logging.getLogger(__name__)

# Our own wording; real SMS providers need the same text registered as a template with them.
TEMPLATES = {
    "password_reset_code": "【{sign}】您正在重置职称申报系统登录密码，验证码 {code}，{minutes} 分钟内有效。"
    "如非本人操作请忽略。",
    "password_changed": "【{sign}】您的职称申报系统登录密码已于 {time} 修改。如非本人操作请立即联系单位管理员。",
}


@dataclass(frozen=True)
class Notification:
    recipient: str
    template: str
    params: dict = field(default_factory=dict)
    channel: str = "sms"


class NotificationSender(ABC):
    """Sends a notification as part of the caller's unit of work (*session*)."""

    def __init__(self, sign_name="昆明人社"):
        self.sign_name = sign_name

    def render(self, notification):
        return TEMPLATES[notification.template].format(sign=self.sign_name, **notification.params)

    @abstractmethod
    def send(self, session, notification):
        """Queue or send *notification*; must not commit *session*."""


class OutboxSender(NotificationSender):
    """Writes the message to the outbox table; nothing leaves the system (development, demos)."""

    def send(self, session, notification):
        message = OutboxMessage(
            channel=notification.channel,
            recipient=notification.recipient,
            template=notification.template,
            body=self.render(notification),
            params=dict(notification.params),
        )
        session.add(message)
        session.flush()
        return message


class HttpSmsSender(OutboxSender):
    """Records the message, then after commit POSTs ``{phone, template, params, text}`` as JSON
    (in the background: the caller does not wait for the SMS gateway).

    Fits an in-house SMS gateway or a small bridge to a provider (Aliyun, Tencent Cloud), whose own
    signed APIs stay outside this service. A failed post marks the row ``failed``; the person asks
    for a new code.
    """

    def __init__(self, url, token=None, timeout_seconds=5, sign_name="昆明人社", session_factory=None):
        super().__init__(sign_name)
        if not url:
            raise ValueError("SMS.SENDER 为 http 时必须配置 SMS.HTTP_URL")
        self.url = url
        self.token = token
        self.timeout = timeout_seconds
        self.session_factory = session_factory

    def send(self, session, notification):
        message = super().send(session, notification)
        payload = {
            "phone": message.recipient,
            "template": message.template,
            "params": message.params,
            "text": message.body,
        }
        # Only a committed message may leave: a rolled-back reset must not text a code. It leaves in
        # the background, so a reset request for a registered phone answers as fast as for any other.
        event.listen(session, "after_commit", lambda _s: threading.Thread(
            target=self._deliver, args=(message.id, payload), daemon=True).start(), once=True)
        return message

    def _deliver(self, message_id, payload):
        request = urllib.request.Request(
            self.url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
            values = {"status": "sent", "sent_at": utc_now(), "last_error": None}
        except Exception as error:  # any failure of the remote end is recorded, never raised
            log.warning("SMS delivery of %s failed: %s", message_id, error)
            values = {"status": "failed", "last_error": str(error)[:500]}
        with self.session_factory.begin() as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id)
                .values(attempts=OutboxMessage.attempts + 1, **values)
            )


def sender_from_config(sms_config, session_factory):
    """The sender that ``SMS.SENDER`` names: ``outbox`` (default) or ``http``."""
    sms_config = sms_config or {}
    kind = (sms_config.get("SENDER") or "outbox").lower()
    sign_name = sms_config.get("SIGN_NAME") or "昆明人社"
    if kind == "outbox":
        return OutboxSender(sign_name)
    if kind == "http":
        return HttpSmsSender(
            sms_config.get("HTTP_URL"), token=sms_config.get("HTTP_TOKEN"),
            timeout_seconds=sms_config.get("HTTP_TIMEOUT_SECONDS") or 5,
            sign_name=sign_name, session_factory=session_factory,
        )
    raise ValueError(f"未知的短信发送方式 SMS.SENDER={kind!r}（可选 outbox、http）")
