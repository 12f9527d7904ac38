"""Certificates over JSON: the holder's PDF, the public verification (by number and code, limited
per caller), the issuer's public keys, the registry lookup and revocation by the city admin."""
from shared.roles import CITY_ADMIN

from ..compose.acting import FINANCE_ROLES, reader_actor
from ..compose.dossiers import visible_dossier
from ..compose.downloads import file_download
from ..compose.money import verify_certificate
from ..errors import error_body, json_response
from ..exceptions import TooManyRequests
from ..web import client_address, json_body, ok, query_args
from .http import http


class CertificateRoutes:
    """``verify_limit`` (the public check's rate limit) is a dependency of GatewayService."""

    @http("GET", "/api/v1/dossiers/<dossier_id>/certificate")
    def certificate_pdf(self, request, dossier_id):
        """The electronic certificate (PDF) for its holder, city admins and auditors."""
        principal = self.principal(request)
        # The holder reads as applicant, staff as city admin or auditor (the service checks again).
        actor = reader_actor(principal, visible_dossier(self.dossier, principal, dossier_id))
        return file_download(self.certificate.pdf(actor.to_dict(), dossier_id))

    @http("GET", "/api/v1/certificates/verify")
    def certificate_verify(self, request):
        """Public: ``{found, valid, revoked, revoked_at, reason, holder: {name, id_number_masked}, title, ...}``."""
        args = query_args(request)
        try:
            return ok(verify_certificate(self.verify_limit, self.certificate, client_address(request),
                                         args.get("number", ""), args.get("code", "")))
        except TooManyRequests as error:
            status, body = error_body(error)
            return json_response(body, status, headers={"Retry-After": str(error.retry_after)})

    @http("GET", "/api/v1/certificates/public-keys")
    def certificate_public_keys(self, request):
        """Public: the issuer's Ed25519 public keys (PEM) by key id, to check signatures independently."""
        return ok(self.certificate.public_keys())

    @http("GET", "/api/v1/certificates/<number>")
    def certificate_by_number(self, request, number):
        """The registry entry (face fields, code, status) for city admins and auditors."""
        actor = self.principal(request).actor(*FINANCE_ROLES)
        return ok(self.certificate.get(actor.to_dict(), number))

    @http("POST", "/api/v1/certificates/<number>/revoke")
    def revoke_certificate(self, request, number):
        """撤销 by the city admin, ``{reason, fraud}``: the dossier records title_revoked, the public page
        shows the certificate revoked with date and reason."""
        actor = self.principal(request).actor(CITY_ADMIN)
        body = json_body(request)
        return ok(self.certificate.revoke(actor.to_dict(), number, body.get("reason", ""), body.get("fraud", False)))
