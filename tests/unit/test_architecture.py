"""The allowed imports, checked (docs/architecture.md, "Allowed imports").

A service imports only ``shared/`` and itself; the gateway imports only ``shared/`` and itself;
``shared/`` imports neither. What one part relies on from another is published in
``shared/contracts/``. Two checks: a static one over every module's import statements (including
imports inside functions), which names the file and line of each offence, and a live one that imports
every module of one part with the other parts made unimportable — what a service's own image, holding
only ``shared/`` and that service, would see.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.contracts import dossier as st

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "service.py").exists())
# Development tooling (the demo loader, the launcher, benchmarks) may drive services directly; it never
# ships inside a service's image.
TOOLING = ("deploy", "bench", "tests")


def part_of(module):
    """The deployable part a dotted module name belongs to: ``services.review``, ``gateway``, ``shared``."""
    top, _, rest = module.partition(".")
    if top == "services":
        return f"services.{rest.partition('.')[0]}" if rest else "services"
    return top


def allowed(importer_part, imported_part):
    """Third-party libraries and ``shared`` are open to every shipped part; another part, or tooling, is not."""
    if imported_part == importer_part or importer_part in TOOLING:
        return True
    platform_part = imported_part in ("gateway", "services", *TOOLING) or imported_part.startswith("services.")
    return not platform_part


def module_name(path):
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(source, module, is_package=False):
    """``[(line, dotted name)]`` of every import in *source*, relative imports resolved against *module*."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((node.lineno, target))
    return found


def offences(source, module, is_package=False):
    """Each import of *source* (module *module*) that crosses a boundary, as ``line: a -> b``."""
    importer = part_of(module)
    return [f"{line}: {module} imports {target}"
            for line, target in imported_modules(source, module, is_package)
            if not allowed(importer, part_of(target))]


def shipped_modules():
    for folder in ("services", "gateway", "shared"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path


def test_no_part_imports_another_except_shared():
    found = []
    for path in shipped_modules():
        module = module_name(path)
        for offence in offences(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            found.append(f"{path.relative_to(ROOT)}:{offence}")
    assert found == [], "imports across a boundary (publish what is needed in shared/contracts/):\n" + "\n".join(found)


class TestTheCheckItself:
    """The check must catch each kind of crossing, or a green run proves nothing."""

    @pytest.mark.parametrize("source, module", [
        ("from services.dossier import domain", "services.review.service"),
        ("import services.identity.exceptions", "services.review.service"),
        ("def late():\n    from services.payment.domain import PAID", "services.certificate.application"),
        ("from services.review.ballots import CHOICES", "gateway.pages.committees"),
        ("from gateway import errors", "services.dossier.service"),
        ("from services.dossier import statuses", "shared.contracts.dossier"),
        ("from ... import gateway", "services.review.cases.x"),
        ("from deploy.dev import launch", "services.identity.seed"),
    ])
    def test_a_crossing_import_is_named(self, source, module):
        assert len(offences(source, module)) == 1

    @pytest.mark.parametrize("source, module", [
        ("from shared.contracts import dossier", "services.review.service"),
        ("from . import schemas\nfrom .domain import Dossier", "services.dossier.service"),
        ("from services.dossier.domain import Dossier", "services.dossier.application"),
        ("from shared.roles import CITY_ADMIN\nimport nameko.rpc", "gateway.api.dossiers"),
        ("from .. import roles", "shared.contracts.dossier"),
    ])
    def test_an_allowed_import_passes(self, source, module):
        assert offences(source, module) == []


# Imports every module of one part with every other part made unimportable, in a fresh interpreter.
ISOLATED_IMPORT = r"""
import importlib, pkgutil, sys, warnings
warnings.filterwarnings("ignore")
import eventlet
eventlet.monkey_patch()
part, forbidden = sys.argv[1], sys.argv[2].split(",")

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if any(name == f or name.startswith(f + ".") for f in forbidden):
            raise ModuleNotFoundError(f"{name} is not in this image")
        return None

sys.meta_path.insert(0, Refuse())
package = importlib.import_module(part)
names = [part] + [info.name for info in pkgutil.walk_packages(package.__path__, part + ".")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


@pytest.mark.parametrize("part", [f"services.{name}" for name in SERVICES] + ["gateway"])
def test_each_part_imports_with_the_others_absent(part):
    others = [f"services.{name}" for name in SERVICES if f"services.{name}" != part]
    forbidden = others + (["gateway"] if part != "gateway" else []) + list(TOOLING)
    result = subprocess.run([sys.executable, "-c", ISOLATED_IMPORT, part, ",".join(forbidden)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{part} needs another part's code:\n{result.stderr[-3000:]}"
    assert int(result.stdout.split()[-1]) > 3  # it really imported the part's modules


# --- no dossier status typed by hand outside its contract ---------------------------------------------------

STATUS_VALUES = set(st.ALL_STATUSES)
# Other vocabularies that happen to share a word with a dossier status, each defined once: they are not
# dossier statuses and must not be read from the dossier's contract. Anything else typed by hand fails.
OWN_VOCABULARY = {
    ("shared/contracts/certificate.py", "revoked"),  # a certificate's own state
    ("shared/contracts/identity.py", "approved"),  # a role request's / membership's state
    ("shared/contracts/identity.py", "rejected"),
    ("services/payment/domain.py", "submitted"),  # a refund's state at the payment provider
    ("services/identity/application/organisations.py", "unit_approved"),  # an identity audit action
    ("shared/contracts/notification.py", "failed"),  # a message delivery that could not be made
}


def status_literals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    # A dict key is a field name of an answer ("revoked": True), not a status.
    keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys if key}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATUS_VALUES \
                and id(node) not in docstrings and id(node) not in keys:
            yield node.lineno, node.value


def test_no_dossier_status_string_is_typed_outside_the_contract():
    contract = ROOT / "shared" / "contracts" / "dossier.py"
    found = []
    for path in shipped_modules():
        if path == contract:
            continue
        relative = str(path.relative_to(ROOT))
        found.extend(f"{relative}:{line}: {value!r}" for line, value in status_literals(path)
                     if (relative, value) not in OWN_VOCABULARY)
    assert found == [], "dossier statuses typed by hand (use shared.contracts.dossier):\n" + "\n".join(found)


# --- nor in the templates -------------------------------------------------------------------------------------

def contract_codes():
    """The codes the pages compare: dossier statuses and event names, certificate, order and meeting states."""
    from shared.contracts import certificate, payment, review
    return (STATUS_VALUES | set(st.EVENTS) | set(certificate.CERTIFICATE_STATUS_LABELS)
            | set(payment.ORDER_STATUS_LABELS) | set(review.MEETING_STATES) | {review.MEETING_DOSSIER_ASSIGNED})


def test_no_status_is_typed_in_a_template():
    codes = contract_codes()
    found = []
    for path in sorted((ROOT / "gateway" / "templates").glob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found.extend(f"{path.relative_to(ROOT)}:{number}: {literal!r}"
                         for literal in re.findall(r"""['"]([a-z_]+)['"]""", line) if literal in codes)
    assert found == [], "statuses typed in templates (use the DOSSIER/CERTIFICATE/PAYMENT/REVIEW globals):\n" + \
        "\n".join(found)
