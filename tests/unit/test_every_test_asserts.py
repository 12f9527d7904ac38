"""Every test asserts something: a test function with no ``assert``, no ``pytest.raises``/``warns``/``fail``,
no Playwright ``expect`` and no call to a helper that itself asserts can never fail on a wrong answer."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}
ASSERTING_NAMES = ("assert_", "expect", "check")


def asserts_directly(function):
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "AssertionError":
                return True
        if isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Attribute) and (
                    (isinstance(called.value, ast.Name) and called.value.id == "pytest" and called.attr in PYTEST_CHECKS)
                    or called.attr.startswith("assert_")  # a mock's assert_called_with …
                    or (isinstance(called.value, ast.Call) and getattr(called.value.func, "id", "") == "expect")):
                return True
            if isinstance(called, ast.Name) and called.id.startswith(ASSERTING_NAMES) \
                    and called.id not in ("check_output", "check_call"):
                return True
    return False


def helpers_called(function):
    """What *function* calls that may be a helper of the tests tree: a bare name or a method of self/cls."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Name):
                names.add(called.id)
            elif isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name) \
                    and called.value.id in ("self", "cls"):
                names.add(called.attr)
    return names


def functions(tree):
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def silent_tests(root):
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.py"))}
    by_name = {}
    for tree in trees.values():
        for function in functions(tree):
            by_name.setdefault(function.name, []).append(function)
    asserting = {name for name, found in by_name.items() if any(asserts_directly(f) for f in found)}
    grew = True
    while grew:  # a helper asserts if it calls one that does
        before = len(asserting)
        asserting |= {name for name, found in by_name.items() if any(helpers_called(f) & asserting for f in found)}
        grew = len(asserting) > before
    return [f"{path.relative_to(root)}:{function.lineno}: {function.name}"
            for path, tree in trees.items() if path.name.startswith("test_")
            for function in functions(tree)
            if function.name.startswith("test_") and not asserts_directly(function)
            and not helpers_called(function) & asserting]


def test_every_test_function_asserts_something():
    assert silent_tests(TESTS) == []


def test_the_check_finds_a_test_that_only_calls(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        "def helper():\n    assert True\n\n"
        "def test_silent():\n    compute()\n\n"
        "def test_through_a_helper():\n    helper()\n\n"
        "def test_refusal():\n    with pytest.raises(ValueError):\n        compute()\n", encoding="utf-8")
    assert silent_tests(tmp_path) == ["test_sample.py:4: test_silent"]
