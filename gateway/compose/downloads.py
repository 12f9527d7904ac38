"""Service answers that are files (exports, receipts, certificates, the reconciliation report) as
downloads: never cached, never sniffed."""
import base64
from urllib.parse import quote

from werkzeug import Response


def attachment(content, content_type, filename):
    """*content* as a download named *filename* (any characters, RFC 5987), never cached or sniffed."""
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    return Response(content, content_type=content_type, headers=headers)


def file_download(answer):
    """An export answer (``{filename, content_type, content_base64}``) as a file download."""
    return attachment(base64.b64decode(answer["content_base64"]), answer["content_type"], answer["filename"])


def reconciliation_csv(report):
    """The report's CSV as a download (the payment service writes it with a BOM, for Excel)."""
    filename = f"reconciliation-{report['provider']}-{report['date']}.csv"
    return Response(report["csv"], content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
