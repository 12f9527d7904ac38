"""Audit exports: the newest signed checkpoint of the dossiers' hash chains, and a dossier's Merkle
inclusion proof in it, for audit officers and the city office. An outside inspector checks the two
offline with ``python -m services.dossier.checkpoint_verify`` and the published public key. A dossier's
signed audit package, checked offline with ``python -m shared.audit_package verify``, and the public
keys both are signed with."""
from shared.roles import AUDITOR, CITY_ADMIN

from ..compose import audit_package
from ..web import ok
from .http import http

AUDIT_ROLES = (AUDITOR, CITY_ADMIN)


class AuditRoutes:
    @http("GET", "/api/v1/audit/checkpoints/latest")
    def latest_checkpoint(self, request):
        """The newest signed checkpoint as stored, and whether its signature verifies (auditors, city admins)."""
        actor = self.principal(request).actor(*AUDIT_ROLES)
        return ok(self.dossier.latest_checkpoint(actor.to_dict()))

    @http("GET", "/api/v1/audit/dossiers/<dossier_id>/checkpoint")
    def dossier_checkpoint(self, request, dossier_id):
        """``{checkpoint, proof, public_key, key_id}``: the newest checkpoint and the dossier's inclusion proof."""
        actor = self.principal(request).actor(*AUDIT_ROLES)
        return ok(self.dossier.checkpoint_proof(actor.to_dict(), dossier_id))

    @http("GET", "/api/v1/audit/dossiers/<dossier_id>/package")
    def dossier_audit_package(self, request, dossier_id):
        """The dossier's signed audit package (ZIP: events as stored, material hashes, PDF summary, manifest)."""
        return audit_package.exported(self.dossier, self.identity, self.principal(request), dossier_id, self.settings)

    @http("GET", "/api/v1/audit/public-keys")
    def audit_public_keys(self, request):
        """Public: the Ed25519 keys (PEM by key id, retired ones too) audit packages and checkpoints are signed with."""
        return ok(self.dossier.audit_public_keys())
