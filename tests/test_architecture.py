"""The layout's rules that `lint-imports` (.importlinter, run by `make test`) cannot express."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
# Below the views: nothing here may read the request (a service takes ids and values).
BELOW_VIEWS = ("services", "common", "models", "wechat", "tasks", "queues.py", "extensions.py")
REQUEST_STATE = {"request", "g", "session"}
# The fake WeChat server is a Flask app of its own: reading its requests is its job.
SERVERS_OF_THEIR_OWN = {APP / "wechat" / "fake.py"}
LONG_MODULE_LINES = 400


def _modules(*parts: str):
    for part in parts:
        path = APP / part
        yield from [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _relative(path: Path) -> str:
    return str(path.relative_to(APP.parent))


def test_nothing_below_the_views_reads_the_request():
    found = []
    for path in _modules(*BELOW_VIEWS):
        if path in SERVERS_OF_THEIR_OWN:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                found += [f"{_relative(path)}: flask.{a.name}" for a in node.names if a.name in REQUEST_STATE]
    assert found == []


def test_no_module_uses_a_private_helper_of_another():
    found = []
    for path in _modules("services", "api", "tasks", "pages", "common", "models"):
        tree = _tree(path)
        app_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{_relative(path)}: from {node.module} import {alias.name}")
                    app_modules.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in app_modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{_relative(path)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert found == []


def test_service_modules_stay_small_or_say_why():
    long = []
    for path in _modules("services"):
        lines = path.read_text(encoding="utf-8").count("\n")
        docstring = ast.get_docstring(_tree(path)) or ""
        if lines > LONG_MODULE_LINES and "Long because" not in docstring:
            long.append(f"{_relative(path)}: {lines} lines")
    assert long == []


def test_every_wing_says_what_lives_there_and_what_it_may_import():
    for wing in sorted(p for p in (APP / "services").iterdir() if (p / "__init__.py").exists()):
        docstring = ast.get_docstring(_tree(wing / "__init__.py")) or ""
        assert "May import" in docstring, f"{wing.name}/__init__.py names no imports"
