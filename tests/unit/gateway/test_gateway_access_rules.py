"""Every route that reads a dossier, its files, an export or the audit workspace is one the access log
records; routes that read nothing of anyone's are not."""
import inspect

import pytest

from gateway.access_log import clean, masked_numbers
from gateway.access_rules import access_kind
from gateway.service import GatewayService
from shared.contracts.accesslog import KINDS


def routes():
    found = []
    for _, member in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            url = getattr(entrypoint, "page_url", None) or getattr(entrypoint, "url", None)
            methods = getattr(entrypoint, "page_method", None) or getattr(entrypoint, "method", "")
            if url:
                found += [(method, url) for method in methods.split(",")]
    return found


def test_the_routes_are_found():
    assert ("GET", "/dossiers/<dossier_id>") in routes() and ("GET", "/api/v1/dossiers/<dossier_id>") in routes()


@pytest.mark.parametrize("method,url", [route for route in routes() if route[0] == "GET" and (
    "<dossier_id>" in route[1] or route[1].startswith(("/audit", "/api/v1/audit")) or "export" in route[1]
    or "/materials/" in route[1] or route[1].endswith((".pdf", "/record", "/receipt")))])
def test_every_read_of_a_dossier_or_a_file_is_recorded(method, url):
    if url == "/api/v1/audit/public-keys":
        assert access_kind(url, method) is None  # published keys are nobody's data
        return
    assert access_kind(url, method) in KINDS, f"{method} {url} reads a dossier or a file: add it to gateway/access_rules.py"


@pytest.mark.parametrize("method,url", [("GET", "/"), ("GET", "/health"), ("GET", "/static/<path:name>"),
                                        ("POST", "/dossiers/<dossier_id>"), ("GET", "/api/v1/me")])
def test_what_reads_nothing_of_anyones_is_not_recorded(method, url):
    assert access_kind(url, method) is None


def test_the_kinds_of_the_audit_workspace():
    assert access_kind("/audit/export", "GET") == "export"
    assert access_kind("/audit/dossiers/<dossier_id>/access", "GET") == "access_log"
    assert access_kind("/audit/dossiers/<dossier_id>/versions/<version>", "GET") == "audit"
    assert access_kind("/audit/dossiers/<dossier_id>/files/<sha256>", "GET") == "material"


def test_text_a_record_cannot_hold_is_escaped_and_cut():
    assert clean("a\x00b\u202ec", 100) == "a\\u0000b\\u202ec"
    assert clean("长" * 500, 64) == "长" * 64
    assert clean(None, 10) == ""


def test_a_full_id_number_in_a_search_is_kept_masked():
    masked = masked_numbers("/audit?id_number=53010219900307123X&applicant_name=张")
    assert "53010219900307123X" not in masked and masked.startswith("/audit?id_number=5301")
    uuid_like = "/dossiers/5885a865-76e9-4717-9c7b-123456789012345678ab"
    assert masked_numbers(uuid_like) == uuid_like
