"""Evidence PDFs: upload into object storage, attach to the dossier, download to those allowed.

The object is written first and attached second; if the dossier refuses the attachment (not
editable, wrong person) the object is removed again, so nothing is ever left orphaned.
Downloads are inert whatever the file holds: the API serves them as attachments, the pages' preview
inline, and both under ``Content-Security-Policy: sandbox`` with ``nosniff`` (no script, no origin).
"""
import logging
import os
import unicodedata
from urllib.parse import quote

from werkzeug import Response

from shared.errors import NotFound, ValidationFailed
from shared.titles import MATERIAL_CATEGORIES

from .exceptions import FileTooLarge
from .http import http
from .pdfcheck import inspect_pdf
from .web import created, ok

log = logging.getLogger(__name__)
MULTIPART_OVERHEAD = 64 * 1024
# A sandboxed document runs no script and has no origin; nosniff keeps the browser from taking it for HTML.
INERT_DOWNLOAD_HEADERS = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
# An oversized upload is read and discarded up to this much so the browser receives our 413
# instead of a reset connection; beyond it the connection is simply closed.
DRAIN_LIMIT = 256 * 1024 * 1024


def display_name(filename):
    """The file's own name for display only: no path, no control characters, bounded length."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or "材料.pdf"


def _discard_body(request):
    stream, remaining = request.stream, min(request.content_length or 0, DRAIN_LIMIT)
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        remaining -= len(chunk)


class MaterialRoutes:
    @http("POST", "/api/v1/dossiers/<dossier_id>/materials")
    def upload_material(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        limit = self.settings["UPLOADS"]["MAX_BYTES"]
        if request.content_length and request.content_length > limit + MULTIPART_OVERHEAD:
            _discard_body(request)
            raise FileTooLarge(f"文件超过上限 {limit / 1024 / 1024:.1f} MB")
        category, upload = request.form.get("category", ""), request.files.get("file")
        problems = {}
        if category not in MATERIAL_CATEGORIES:
            problems["category"] = ["请选择材料类别:" + "、".join(MATERIAL_CATEGORIES.values())]
        if upload is None:
            problems["file"] = ["请选择要上传的 PDF 文件"]
        if problems:
            raise ValidationFailed("上传信息不完整", fields=problems)
        data = upload.read(limit + 1)
        info = inspect_pdf(data, limit)
        material_id, key = self.evidence.new_material_key(dossier_id)
        self.evidence.put_pdf(key, data, info.sha256)
        material = {"material_id": material_id, "object_key": key, "sha256": info.sha256, "size": info.size,
                    "pages": info.pages, "category": category, "filename": display_name(upload.filename)}
        try:
            self.dossier.attach_material(actor.to_dict(), dossier_id, material)
        except Exception:
            self.evidence.remove(key)  # the dossier said no (or could not be reached): keep nothing
            raise
        return created({k: material[k] for k in ("material_id", "sha256", "pages", "size", "category", "filename")})

    @http("GET", "/api/v1/dossiers/<dossier_id>/materials/<material_id>")
    def download_material(self, request, dossier_id, material_id):
        """The PDF as an attachment, to those who may see the dossier."""
        return self.material_file(request, dossier_id, material_id, inline=False)

    def material_file(self, request, dossier_id, material_id, inline):
        """The stored PDF, inline (the pages' preview) or as an attachment, always sandboxed."""
        dossier = self.visible_dossier(self.principal(request), dossier_id)
        material = next((m for m in dossier["materials"] if m["material_id"] == material_id), None)
        if material is None:
            raise NotFound("证明材料不存在")
        data = self.evidence.read(material["object_key"])
        disposition = "inline" if inline else "attachment"
        headers = {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(material['filename'])}",
            "Cache-Control": "private, no-store",
            **INERT_DOWNLOAD_HEADERS,
        }
        return Response(data, mimetype="application/pdf", headers=headers)

    @http("DELETE", "/api/v1/dossiers/<dossier_id>/materials/<material_id>")
    def detach_material(self, request, dossier_id, material_id):
        actor, dossier = self.applicant_actor(request, dossier_id)
        material = next((m for m in dossier["materials"] if m["material_id"] == material_id), None)
        if material is None:
            raise NotFound("证明材料不存在")
        updated = self.dossier.detach_material(actor.to_dict(), dossier_id, material_id)
        # The event history still names the object: evidence is kept for audit, never deleted here.
        return ok(updated)
