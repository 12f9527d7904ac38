"""The OpenAPI document lists the whole surface: every query parameter a route reads and every body it
takes, checked against the routes' own code so a new parameter cannot go undocumented."""
import inspect
import re

import pytest

from gateway.api import dossiers as dossier_routes
from gateway.api import review as review_routes
from gateway.api.openapi import OTHER_BODIES, REQUEST_BODIES, openapi_document, routes
from gateway.service import GatewayService

# A route names the parameters it reads as string literals next to ``args``: ``args.get("q")``,
# ``args["date"]``, ``int_arg(args, "version", …)``, ``{k: args[k] for k in ("a", "b") if k in args}``.
_READ = re.compile(r'args(?:\.get\(|\[)"([a-z_]+)"|int_arg\(args, "([a-z_]+)"')
_TUPLE_FILTER = re.compile(r'for \w+ in \(([^)]*)\) if \w+ in args')
_NAMED_FILTERS = {"LIST_FILTERS": dossier_routes.LIST_FILTERS, "QUEUE_FILTERS": review_routes.QUEUE_FILTERS,
                  "queue_query(": review_routes.QUEUE_FILTERS}
ROUTES = routes(GatewayService)
DOCUMENT = openapi_document(GatewayService)


def parameters_read_by(function):
    source = inspect.getsource(function)
    names = {name for pair in _READ.findall(source) for name in pair if name}
    for group in _TUPLE_FILTER.findall(source):
        names |= set(re.findall(r'"([a-z_]+)"', group))
    for marker, filters in _NAMED_FILTERS.items():
        if marker in source:
            names |= set(filters)
    if "self.acting(" in source or "scope_filter(" in source:
        names.add("role")
    return names


def documented(method, url):
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url)
    operation = DOCUMENT["paths"][path][method.lower()]
    return operation, {p["name"] for p in operation["parameters"] if p["in"] == "query"}


@pytest.mark.parametrize("method, url, function", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_every_query_parameter_a_route_reads_is_documented(method, url, function):
    _, names = documented(method, url)
    assert parameters_read_by(function) <= names


@pytest.mark.parametrize("method, url, function", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_every_route_that_reads_a_body_documents_it(method, url, function):
    source = inspect.getsource(function)
    operation, _ = documented(method, url)
    if re.search(r"json_body\(request\)|load_body\(request|request\.files", source):
        assert "requestBody" in operation, "document its body in REQUEST_BODIES or OTHER_BODIES"


def test_the_tables_name_only_routes_that_exist():
    existing = {(method, url) for method, url, _ in ROUTES}
    assert set(REQUEST_BODIES) <= existing and set(OTHER_BODIES) <= existing


def test_the_parameters_carry_types_for_a_client():
    operation, _ = documented("GET", "/api/v1/dossiers")
    by_name = {p["name"]: p for p in operation["parameters"]}
    assert by_name["status"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert by_name["review_year"]["schema"]["type"] == "integer"
    verify, _ = documented("GET", "/api/v1/certificates/verify")
    assert all(p["required"] for p in verify["parameters"] if p["in"] == "query")
