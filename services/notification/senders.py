"""How an SMS leaves: a sender interface and its two adapters (moved here from identity, so the
platform has one way to text a person).

``OutboxSender`` (development, demos, tests) sends nothing: the delivery row the worker marks sent
*is* the outbox, which the ``outbox`` RPC shows when ``SMS.EXPOSE_OUTBOX`` is on. ``HttpSmsSender``
POSTs ``{phone, template, params, text}`` as JSON to an in-house SMS gateway or a small bridge to a
provider (Aliyun, Tencent Cloud), whose own signed APIs stay outside this service; anything but a
2xx answer is a failure the worker retries with back-off (delivery.py). Which one runs is the
``SMS.SENDER`` setting.
"""
import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from .privacy import masked_phones
from .templates import DEFAULT_SIGN_NAME

ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Sms:
    phone: str
    template: str  # a message kind or a code template: the provider's registered template
    text: str
    params: dict = field(default_factory=dict)


class SendFailed(Exception):
    """Raised by a sender when the SMS did not leave; its message (phones masked) is kept as last_error."""


class SmsSender(ABC):
    name = "abstract"

    @abstractmethod
    def send(self, sms):
        """Hand *sms* over, or raise SendFailed."""


class OutboxSender(SmsSender):
    """Nothing leaves the system: the delivery row is the record of what would have been texted."""

    name = "outbox"

    def send(self, sms):
        return None


class HttpSmsSender(SmsSender):
    """POSTs the SMS as JSON (``Authorization: Bearer <token>`` when a token is configured)."""

    name = "http"

    def __init__(self, url, token=None, timeout_seconds=5):
        if not url:
            raise ValueError("SMS.SENDER 为 http 时必须配置 SMS.HTTP_URL")
        self.url, self.token, self.timeout = url, token or None, float(timeout_seconds)

    def send(self, sms):
        payload = {"phone": sms.phone, "template": sms.template, "params": sms.params, "text": sms.text}
        request = urllib.request.Request(self.url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                         method="POST", headers={"Content-Type": "application/json; charset=utf-8"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            body = error.read()[:200].decode("utf-8", "replace")
            raise SendFailed(_bounded(f"短信网关答复 HTTP {error.code}: {body}")) from None
        except Exception as error:  # refused, unreachable, timed out: the worker retries later
            raise SendFailed(_bounded(f"短信网关不可达: {type(error).__name__}: {error}")) from None


def _bounded(text):
    return masked_phones(text)[:ERROR_TEXT_LIMIT]


def sender_from_config(sms_config):
    """The sender that ``SMS.SENDER`` names: ``outbox`` (default) or ``http``."""
    sms_config = sms_config or {}
    kind = str(sms_config.get("SENDER") or "outbox").lower()
    if kind == "outbox":
        return OutboxSender()
    if kind == "http":
        return HttpSmsSender(sms_config.get("HTTP_URL"), token=sms_config.get("HTTP_TOKEN"),
                             timeout_seconds=sms_config.get("HTTP_TIMEOUT_SECONDS") or 5)
    raise ValueError(f"未知的短信发送方式 SMS.SENDER={kind!r}(可选 outbox、http)")


def sign_name(sms_config):
    return (sms_config or {}).get("SIGN_NAME") or DEFAULT_SIGN_NAME
