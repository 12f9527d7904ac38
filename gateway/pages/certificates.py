"""Certificate pages: the holder's download, the PUBLIC verification page (the QR code's target;
limited per caller), and the city admin's registry lookup with revocation (撤销职称)."""
from shared.errors import PlatformError
from shared.roles import CITY_ADMIN

from ..compose.acting import FINANCE_ROLES, reader_actor
from ..compose.dossiers import visible_dossier
from ..compose.downloads import file_download
from ..compose.money import verify_certificate
from ..exceptions import TooManyRequests
from ..web import client_address, query_args
from .base import PageBase, refusal
from .handler import page, redirect


class CertificatePages(PageBase):
    @page("GET", "/dossiers/<dossier_id>/certificate")
    def certificate_download_page(self, request, session, dossier_id):
        principal = session.principal()
        # The holder reads as applicant, staff as city admin or auditor (the service checks again).
        actor = reader_actor(principal, visible_dossier(self.dossier, principal, dossier_id))
        return file_download(self.certificate.pdf(actor.to_dict(), dossier_id))

    # -- public -----------------------------------------------------------------------------------

    @page("GET", "/certificates/verify")
    def verify_page(self, request, session):
        session.optional_principal()
        args = query_args(request)
        number, code = args.get("number", "").strip(), args.get("code", "").strip()
        context, status = {"number": number, "code": code, "errors": {}}, 200
        if number or code:
            if not number or not code:
                context["errors"] = {name: [text] for name, text in (("number", "请填写证书编号"), ("code", "请填写验证码"))
                                     if not args.get(name, "").strip()}
                status = 422
            else:
                try:
                    context["answer"] = verify_certificate(self.verify_limit, self.certificate, client_address(request),
                                                           number, code)
                except TooManyRequests as error:
                    context["message"], status = error.message, error.http_status
                except PlatformError as error:
                    (context["message"], context["errors"]), status = refusal(error), error.http_status
        return self.render_page(session, "verify.html", status=status, **context)

    # -- the city admin (auditors read) -----------------------------------------------------------

    @page("GET", "/admin/certificates")
    def certificates_admin_page(self, request, session):
        return self.certificates_admin_view(session, query_args(request).get("number", "").strip())

    def certificates_admin_view(self, session, number, status=200, **extra):
        actor = session.principal().actor(*FINANCE_ROLES)
        certificate = None
        if number:
            try:
                certificate = self.certificate.get(actor.to_dict(), number)
            except PlatformError as error:
                extra.setdefault("message", error.message)
                status = error.http_status if status == 200 else status
        return self.render_page(session, "certificates_admin.html", status=status, number=number,
                                certificate=certificate, can_revoke=actor.role == CITY_ADMIN,
                                values=extra.pop("values", {}), errors=extra.pop("errors", {}), **extra)

    @page("POST", "/admin/certificates/<number>/revoke")
    def revoke_certificate_page(self, request, session, number):
        actor = session.principal().actor(CITY_ADMIN)
        values = {"reason": request.form.get("reason", "").strip(), "fraud": request.form.get("fraud") == "on"}
        try:
            self.certificate.revoke(actor.to_dict(), number, values["reason"], values["fraud"])
        except PlatformError as error:
            message, errors = refusal(error)
            return self.certificates_admin_view(session, number, status=error.http_status, message=message,
                                                errors=errors, values=values)
        return redirect(f"/admin/certificates?number={number}", msg="certificate_revoked")
