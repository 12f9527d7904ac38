"""Certificates over JSON: the holder's PDF, the public verification (by number and code, limited
per caller), the issuer's public keys, the registry lookup and revocation by the city admin."""
from .errors import error_body, json_response
from .exceptions import TooManyRequests
from .http import http
from .ratelimit import VerifyRateLimit
from .routes_payments import FINANCE_ROLES
from .routes_review import file_download
from .web import client_address, json_body, ok, query_args


class CertificateRoutes:
    verify_limit = VerifyRateLimit()

    def certificate_reader(self, request, dossier_id):
        """The holder reads as applicant, staff as city admin or auditor (the service checks again)."""
        principal = self.principal(request)
        dossier = self.visible_dossier(principal, dossier_id)
        if principal.has("applicant") and dossier["applicant_id"] == principal.account_id:
            return principal.actor("applicant")
        return principal.actor(*FINANCE_ROLES)

    @http("GET", "/api/v1/dossiers/<dossier_id>/certificate")
    def certificate_pdf(self, request, dossier_id):
        """The electronic certificate (PDF) for its holder, city admins and auditors."""
        actor = self.certificate_reader(request, dossier_id)
        return file_download(self.certificate.pdf(actor.to_dict(), dossier_id))

    def verify_certificate(self, request, number, code):
        """Shared by the API and the public page: one call counted against the caller's limit."""
        self.verify_limit.check(client_address(request))
        return self.certificate.verify(number, code)

    @http("GET", "/api/v1/certificates/verify")
    def certificate_verify(self, request):
        """Public: ``{found, valid, revoked, revoked_at, reason, holder: {name, id_number_masked}, title, ...}``."""
        args = query_args(request)
        try:
            return ok(self.verify_certificate(request, args.get("number", ""), args.get("code", "")))
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
        actor = self.principal(request).actor("city_admin")
        body = json_body(request)
        return ok(self.certificate.revoke(actor.to_dict(), number, body.get("reason", ""), body.get("fraud", False)))
