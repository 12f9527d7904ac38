"""The meeting record's pages: the office's download from the meeting page, and the PUBLIC check of a
record (limited per caller, with the certificate checks): a record number and its PDF (or the PDF's
SHA-256) say whether the file is the record as the review service signed it."""
from shared.errors import PlatformError
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY

from ..compose.downloads import file_download
from ..compose.materials import refuse_oversized
from ..compose.records import upload_sha256, verify_record
from ..exceptions import TooManyRequests
from ..web import client_address, query_args
from .base import PageBase, refusal
from .handler import page
from .session import CSRF_FIELD

READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)


class RecordPages(PageBase):
    @page("GET", "/meetings/<meeting_id>/record.pdf")
    def meeting_record_download(self, request, session, meeting_id):
        """The signed PDF for the meeting's office, the city admin and the auditor (others: 403)."""
        actor = session.principal().actor(*READERS)
        return file_download(self.review.meeting_record_pdf(actor.to_dict(), meeting_id))

    # -- public -----------------------------------------------------------------------------------

    @page("GET", "/records/verify")
    def record_verify_page(self, request, session):
        """The form (``?number=`` from the printed address or QR code); with ``&sha256=`` it checks at once."""
        session.optional_principal()
        args = query_args(request)
        number, sha256 = args.get("number", "").strip(), args.get("sha256", "").strip()
        if number and sha256:
            return self.record_check(session, request, number, sha256)
        return self.render_page(session, "record_verify.html", number=number, sha256=sha256, errors={})

    @page("POST", "/records/verify", csrf=False)
    def record_verify_upload(self, request, session):
        """The check by upload: the PDF's SHA-256 is taken here; the file is neither kept nor passed on."""
        limit = self.settings["UPLOADS"]["MAX_BYTES"]
        refuse_oversized(request, limit, drain=True)  # before the form is read, as uploads do
        session.optional_principal()
        session.check_csrf(request.form.get(CSRF_FIELD))
        number, typed = request.form.get("number", "").strip(), request.form.get("sha256", "").strip()
        errors = {}
        if not number:
            errors["number"] = ["请填写纪要编号"]
        try:
            sha256 = upload_sha256(request.files.get("file"), limit) or typed
        except PlatformError as error:
            errors["file"], sha256 = [error.message], typed
        if not sha256 and "file" not in errors:
            errors["file"] = ["请上传纪要 PDF 文件,或在下方填写其 SHA-256"]
        if errors:
            return self.render_page(session, "record_verify.html", status=422, number=number, sha256=typed,
                                    errors=errors)
        return self.record_check(session, request, number, sha256, typed=typed)

    def record_check(self, session, request, number, sha256, typed=None):
        context, status = {"number": number, "sha256": sha256 if typed is None else typed, "errors": {}}, 200
        try:
            context["answer"] = verify_record(self.verify_limit, self.review, client_address(request), number, sha256)
            context["checked_sha256"] = sha256
        except TooManyRequests as error:
            context["message"], status = error.message, error.http_status
        except PlatformError as error:
            (context["message"], context["errors"]), status = refusal(error), error.http_status
        return self.render_page(session, "record_verify.html", status=status, **context)
