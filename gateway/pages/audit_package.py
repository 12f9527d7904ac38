"""The audit workspace's export of one dossier's signed audit package (审计包), from its timeline page.
What it holds and how it is checked offline: shared/audit_package.py and docs/audit.md."""
from ..compose import audit_package
from .base import PageBase
from .handler import page


class AuditPackagePages(PageBase):
    @page("GET", "/audit/dossiers/<dossier_id>/package")
    def audit_package_page(self, request, session, dossier_id):
        """The ZIP download, or the error page saying why none is given (the chain does not verify, no key)."""
        return audit_package.exported(self.dossier, self.identity, session.principal(), dossier_id, self.settings)
