"""How identity has a verification code or a security notice texted: it asks the notification service.

The SMS adapters (outbox, HTTP bridge to the SMS gateway), the templates and the retries live in the
notification service (services/notification/); identity only hands over ``{phone, template, params,
reference}`` (shared/contracts/notification.py ``send_code``). Only a committed code may leave — a
rolled-back reset must not text one — and it leaves in the background, so a reset request for a
registered phone answers as fast as for any other. The ``reference`` (the code's own id) makes a
repeated hand-over text once.
"""
import logging

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import event

from shared.contracts.identity import mask_phone
from shared.contracts.notification import CODE_TEMPLATES

log = logging.getLogger(__name__)


class CodeSender:
    """Port: texts *template* with *params* to *phone* once *session* commits; never commits it."""

    def send(self, session, phone, template, params, reference):
        if template not in CODE_TEMPLATES:
            raise ValueError(f"identity sends only {CODE_TEMPLATES}, not {template!r}")
        request = {"phone": phone, "template": template, "reference": reference,
                   "params": {name: str(value) for name, value in params.items()}}
        event.listen(session, "after_commit", lambda _session: self.hand_over(request), once=True)

    def hand_over(self, request):
        raise NotImplementedError


class NotificationCodeSender(CodeSender):
    """Hands the request to the notification service over the bus (``notification.send_code``)."""

    def __init__(self, amqp_uri, timeout_seconds=5):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout_seconds

    def hand_over(self, request):
        eventlet.spawn_n(self._call, request)

    def _call(self, request):
        try:
            with ClusterRpcProxy(self.config, timeout=self.timeout) as cluster:
                cluster.notification.send_code(request)
        except Exception as error:  # the person asks for a new code; nothing else depends on this one
            log.warning("handing %s for %s to the notification service failed: %s",
                        request["template"], mask_phone(request["phone"]), type(error).__name__)
