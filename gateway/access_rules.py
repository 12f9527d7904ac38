"""Which routes are reads the access log records, and as what kind of read.

A route is named by its URL template as declared (``/dossiers/<dossier_id>/materials/<material_id>``).
Every page and API route under ``/audit`` is recorded; the others are listed. A test
(tests/unit/gateway/test_gateway_access_rules.py) fails when a route that reads a dossier is added
without a rule here, so a new read cannot slip past the log.
"""
EXPLICIT = {
    # pages
    "/dossiers/<dossier_id>": "dossier",
    "/dossiers/<dossier_id>/preview": "dossier",
    "/dossiers/<dossier_id>/history": "history",
    "/dossiers/<dossier_id>/materials/<material_id>": "material",
    "/dossiers/<dossier_id>/certificate": "certificate",
    "/dossiers/<dossier_id>/orders/<order_id>/receipt": "receipt",
    "/review/<dossier_id>": "review",
    "/expert/meetings/<meeting_id>/dossiers/<dossier_id>": "room",
    "/expert/meetings/<meeting_id>/dossiers/<dossier_id>/materials/<material_id>": "material",
    "/meetings/<meeting_id>/record.pdf": "export",
    # printed forms: one dossier's 评审表, and the lists of a review year's dossiers (公示名单, 报送汇总表)
    "/dossiers/<dossier_id>/print/review-form.pdf": "export",
    "/review/print/publicity-list.pdf": "export",
    "/review/print/roster.pdf": "export",
    "/audit/dossiers/<dossier_id>/files/<sha256>": "material",  # a file opened by its hash (审核所见)
    "/audit/dossiers/<dossier_id>/versions/<version>/materials/<material_id>": "material",
    # the JSON API
    "/api/v1/dossiers/<dossier_id>": "dossier",
    "/api/v1/dossiers/<dossier_id>/state": "dossier",
    "/api/v1/dossiers/<dossier_id>/required-materials": "dossier",
    "/api/v1/dossiers/<dossier_id>/history": "history",
    "/api/v1/dossiers/<dossier_id>/verify": "history",
    "/api/v1/dossiers/<dossier_id>/materials/<material_id>": "material",
    "/api/v1/dossiers/<dossier_id>/certificate": "certificate",
    "/api/v1/dossiers/<dossier_id>/orders": "receipt",
    "/api/v1/orders/<order_id>/receipt": "receipt",
    "/api/v1/review/queue/<dossier_id>": "review",
    "/api/v1/review/dossiers/<dossier_id>/decisions": "review",
    "/api/v1/review/queue/export": "export",
    "/api/v1/expert/meetings/<meeting_id>/dossiers/<dossier_id>": "room",
    "/api/v1/expert/meetings/<meeting_id>/dossiers/<dossier_id>/materials/<material_id>": "material",
    "/api/v1/meetings/<meeting_id>/record": "export",
}
AUDIT_PREFIXES = ("/audit", "/api/v1/audit/")
# Public documents under /api/v1/audit: published keys are nobody's data.
NOT_READS = {"/api/v1/audit/public-keys"}
READ_METHODS = ("GET", "HEAD")


def access_kind(template, method):
    """The kind of read (shared/contracts/accesslog.py KINDS) a request to the route *template* is, or None."""
    if method not in READ_METHODS or template in NOT_READS:
        return None
    if template in EXPLICIT:
        return EXPLICIT[template]
    if template.startswith(AUDIT_PREFIXES) or template == "/audit":
        if "/access" in template:
            return "access_log"
        if template.endswith(("/export", "/package")):
            return "export"
        return "audit"
    return None
