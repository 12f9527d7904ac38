"""CertificateService: issuing on publicity_ended (after a certificate fee, if the year charges one),
public verification, download, revocation and the fraud sanction that goes with it.

Each RPC loads input with a schema, calls the application and answers ``dump(SomeOut, ...)`` with an
answer schema of schemas.py (a key it does not declare is refused, not dropped). ``verify`` is
public (the gateway serves it without login); the rest act for an authenticated actor.

Exactly once in effect without a key table: issuing is once per dossier (an advisory lock and the
dossier's row, ``Certificates.issue``), and revoking a revoked certificate only answers it again. The
request's idempotency key (shared/idempotency.py) still travels to the dossier's ``revoke_title``, so
a repeat after a crash between the two writes gets the dossier's first answer and completes ours.
"""
import logging

from nameko.rpc import RpcProxy

from shared.contracts import dossier as st
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.event_failures import health_with_failures
from shared.event_handlers import dossier_event_consumer, event_entering
from shared.idempotency import IdempotencyKey
from shared.observability import CorrelationId
from shared.roles import Actor
from shared.schemas import ActorSchema, dump, load_or_raise
from shared.timers import configured_timer

from . import schemas
from .dependencies import CertificateApplication
from .ports import RpcDossierPort, RpcIdentityPort, RpcPaymentPort

log = logging.getLogger(__name__)


def _actor(data):
    return Actor.from_dict(load_or_raise(ActorSchema(), data, "操作人信息无效"))


def _id(value):
    return load_or_raise(schemas.IdSchema(), {"id": value})["id"]


def _on_dossier(event_name):
    """Consume the dossier's *event_name* (shared/event_handlers.py): validated, failures recorded."""
    return dossier_event_consumer(lambda service: service.certificates.engine, event_name)


class CertificateService:
    name = "certificate"

    certificates = CertificateApplication()
    dossier = RpcProxy("dossier")
    identity = RpcProxy("identity")
    payment = RpcProxy("payment")  # asked only when the year's policy charges a certificate fee
    correlation_id = CorrelationId()
    idempotency_key = IdempotencyKey()  # passed on to the dossier; dropped for event handlers and timers

    # -- queries and downloads ---------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def get_by_dossier(self, dossier_id):
        """The dossier's certificate (number, face, verification code and URL, status) or CertificateNotFound."""
        return dump(schemas.CertificateOut, self.certificates.by_dossier(_id(dossier_id)))

    @rpc(expected_exceptions=PlatformError)
    def get(self, actor, number):
        """A certificate by number, with its code (city administrators and auditors)."""
        return dump(schemas.CertificateOut, self.certificates.by_number(_actor(actor), _id(number)))

    @rpc(expected_exceptions=PlatformError)
    def pdf(self, actor, dossier_id):
        """``{number, filename, content_type, content_base64, object_key, sha256, size, revoked}`` for the
        holder or admins."""
        return dump(schemas.CertificatePdfOut, self.certificates.pdf(_actor(actor), _id(dossier_id)))

    @rpc(expected_exceptions=PlatformError)
    def verify(self, number, code):
        """Public: ``{found, valid, revoked, revoked_at, reason, holder: {name, id_number_masked}, title, ...}``."""
        loaded = load_or_raise(schemas.VerifySchema(), {"number": number, "code": code}, "请填写证书编号和验证码")
        return dump(schemas.VerificationOut, self.certificates.verify(loaded["number"], loaded["code"]))

    @rpc
    def public_keys(self):
        """The issuer's Ed25519 public keys by key id, so anyone can check a certificate's signature."""
        return dump(schemas.PublicKeysOut, self.certificates.public_keys())

    # -- revocation --------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def revoke(self, actor, number, reason, fraud=False):
        """撤销 by a city admin: the dossier records title_revoked and the certificate shows revoked."""
        loaded = load_or_raise(schemas.RevokeSchema(), {"number": number, "reason": reason, "fraud": fraud},
                               "撤销证书须写明证书编号和理由")
        revoked = self.certificates.revoke(_actor(actor), loaded["number"], loaded["reason"].strip(), loaded["fraud"],
                                           RpcDossierPort(self.dossier))
        return dump(schemas.CertificateOut, revoked)

    @rpc
    def health(self):
        """``{service, status: ok|degraded|error, certificates, queued, key_id, failed_event_handlings}``."""
        report = {"service": self.name, "status": "ok"}
        try:
            report.update(self.certificates.health())
            health_with_failures(report, self.certificates.engine, self.name)
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(schemas.HealthOut, report)

    # -- dossier events ----------------------------------------------------------------------

    @_on_dossier(event_entering(st.APPROVED))
    def handle_dossier_publicity_ended(self, event):
        if self.certificates.on_publicity_ended(event):
            self.certificates.try_issue(event["dossier_id"], RpcDossierPort(self.dossier),
                                        RpcIdentityPort(self.identity), RpcPaymentPort(self.payment))

    @_on_dossier(event_entering(st.REVOKED))
    def handle_dossier_title_revoked(self, event):
        """Revoked: the certificate shows revoked; revoked for fraud, the holder is sanctioned (R4.10)."""
        self.certificates.on_title_revoked(event, RpcDossierPort(self.dossier), RpcIdentityPort(self.identity))

    # -- timers ------------------------------------------------------------------------------

    @configured_timer("TIMERS.sweep_seconds", 30)
    def sweep(self):
        """Issue queued certificates (those whose certificate fee is now paid too) and finish any whose
        PDF or dossier record is missing."""
        self.certificates.issue_pending(RpcDossierPort(self.dossier), RpcIdentityPort(self.identity),
                                        RpcPaymentPort(self.payment))
