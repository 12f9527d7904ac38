"""The gateway's three layers keep to their lanes: pages and the JSON API never import each other and
both use gateway/compose, no page calls an API route, and role codes come from shared/roles.py."""
import ast
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway.api.http import JsonHttpHandler
from gateway.service import GatewayService
from shared.roles import ROLE_LABELS

GATEWAY = Path(__file__).resolve().parents[3] / "gateway"
# Which layer may not import which: api and pages are siblings; compose serves both and knows neither.
FORBIDDEN = {"api": ("gateway.pages",), "pages": ("gateway.api",), "compose": ("gateway.api", "gateway.pages")}


def modules_of(layer):
    return sorted((GATEWAY / layer).glob("*.py"))


def imported(source, package):
    """Absolute names of everything *source* (a module of the dotted *package*) imports."""
    parts = package.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = parts[:len(parts) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)  # from .. import api


def offences(layer, source):
    """The imports of a *layer* module's *source* that reach a layer it must not know."""
    return [name for name in imported(source, f"gateway.{layer}")
            if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])]


def string_constants(path):
    """``(line, text)`` of every string literal in *path* that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_it_must_not_know(layer):
    found = [f"{path.name} imports {name}" for path in modules_of(layer)
             for name in offences(layer, path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("layer, source", [
    ("pages", "from ..api.materials import store"),
    ("pages", "from .. import api"),
    ("pages", "import gateway.api.dossiers"),
    ("api", "from ..pages.session import request_principal"),
    ("compose", "from ..pages import views"),
])
def test_the_check_catches_each_kind_of_crossing(layer, source):
    assert len(offences(layer, source)) >= 1


def test_the_check_lets_both_sides_use_compose_and_the_edge():
    assert offences("pages", "from ..compose.acting import decider\nfrom ..errors import error_body") == []
    assert offences("api", "from ..compose import materials\nfrom .http import http") == []


def test_no_page_calls_an_api_route():
    routes = {name for name in dir(GatewayService)
              if any(isinstance(entrypoint, JsonHttpHandler)
                     for entrypoint in getattr(getattr(GatewayService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()))}
    assert {"upload_material", "certificate_pdf", "detach_material"} <= routes  # the check sees them
    calls = [f"{path.name}:{node.lineno}: self.{node.attr}" for path in modules_of("pages")
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
             and node.attr in routes]
    assert calls == []


def test_no_role_code_is_typed_by_hand_in_the_gateway():
    found = [f"{path.relative_to(GATEWAY)}:{line}: {text!r}" for path in sorted(GATEWAY.rglob("*.py"))
             for line, text in string_constants(path) if text in ROLE_LABELS]
    assert found == [], "use the constants of shared/roles.py"


def test_no_template_types_a_role_code():
    quoted = {f"'{code}'" for code in ROLE_LABELS} | {f'"{code}"' for code in ROLE_LABELS}
    found = [f"{path.name}:{number}" for path in sorted((GATEWAY / "templates").glob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if any(code in line for code in quoted)]
    assert found == [], "use ROLES.<NAME> (shared/roles.py, a template global)"
