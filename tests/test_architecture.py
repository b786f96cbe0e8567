"""The layout rules a newcomer relies on (issue 18): no import cycle among our modules, counting
the imports written inside functions, the Rasa patches only in bot/rasa_extensions, the environment
read in one place (bot/settings.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot import paths


def our_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted([*paths.ROOT.glob("bot/**/*.py"), *paths.ROOT.glob("actions/**/*.py")]):
        name = ".".join(path.relative_to(paths.ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module -> our modules it imports anywhere in its code (top level or inside a function)."""
    modules = our_modules()

    def ours(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            else:
                continue
            graph[name] |= {t for t in map(ours, targets) if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_our_modules_counting_imports_inside_functions():
    graph = import_graph()
    assert "bot.domain.catalog" in graph and "actions.handover" in graph  # the walk sees our code
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def rasa_assignments(source: str) -> list[int]:
    """Lines that assign to an attribute of something imported from Rasa (`MessageProcessor.x = …`)."""
    tree = ast.parse(source)
    from_rasa = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("rasa", "rasa_sdk"):
            from_rasa |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            from_rasa |= {alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name.startswith("rasa")}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(target, ast.Attribute) and isinstance(base, ast.Name) and base.id in from_rasa:
                    lines.append(node.lineno)
    return lines


def test_the_patch_finder_sees_a_patch():
    patch = "from rasa.core.processor import MessageProcessor\nMessageProcessor.parse_message = _mine\n"
    assert rasa_assignments(patch) == [2]
    assert rasa_assignments("from rasa.core.processor import MessageProcessor\nx = MessageProcessor\n") == []


def test_rasa_internals_are_patched_only_in_rasa_extensions():
    patching = {
        name: lines for name, path in our_modules().items() if (lines := rasa_assignments(path.read_text(encoding="utf-8")))
    }
    assert patching and all(
        name.startswith("bot.rasa_extensions.patches") or name == "bot.rasa_extensions.action_server" for name in patching
    ), patching


def test_no_synchronous_run_or_validate_method_in_actions():
    synchronous = []
    for path in sorted((paths.ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and (node.name in ("run", "validate") or node.name.startswith("validate_")):
                synchronous.append(f"{path.name}:{node.lineno} {node.name}")
    assert synchronous == []


# Who may read the environment: bot/settings.py, and the operations that build the environment of
# the processes they start (bench, production, training) or check a secret before serving.
ENVIRONMENT_READERS = {
    "bot.settings",
    "bot.ops.production",
    "bot.ops.bench",
    "bot.ops.training",
    "bot.rasa_extensions.action_server",
}


def environment_reads(source: str) -> list[int]:
    """Lines that read os.environ / os.getenv."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr in ("environ", "getenv", "environb"):
                found.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ("environ", "getenv") for a in node.names)
        ):
            found.append(node.lineno)
    return found


def test_the_environment_finder_sees_a_read():
    assert environment_reads("import os\nx = os.environ.get('A')\n") == [2]
    assert environment_reads("from os import getenv\n") == [1]
    assert environment_reads("import os\nos.path.join('a')\n") == []


def test_one_settings_per_process_the_environment_is_read_only_by_settings_and_operations():
    reading = {
        name: lines for name, path in our_modules().items() if (lines := environment_reads(path.read_text(encoding="utf-8")))
    }
    assert "bot.settings" in reading
    assert set(reading) <= ENVIRONMENT_READERS, {name: reading[name] for name in set(reading) - ENVIRONMENT_READERS}


def transaction_ends(source: str) -> list[str]:
    """`x.commit(…)` and `x.rollback(…)` calls in the source, as « line name »."""
    return [
        f"{node.lineno} {node.func.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("commit", "rollback")
    ]


def test_the_transaction_finder_sees_a_commit_and_a_rollback():
    source = "def f(session):\n    session.flush()\n    session.commit()\n    db.session(u).rollback()\n"
    assert transaction_ends(source) == ["3 commit", "4 rollback"]


def test_the_store_never_commits_nor_rolls_back():
    """The one transaction rule (issue 18): the boundary (route, action, CLI command, job) commits;
    a race the store settles runs in a savepoint (`session.begin_nested()`)."""
    found = {
        path.relative_to(paths.ROOT).as_posix(): ends
        for path in sorted((paths.ROOT / "bot" / "store").glob("**/*.py"))
        if (ends := transaction_ends(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def package_of(module: str) -> str:
    """'bot.store.live' -> 'store'; 'bot.settings' -> 'foundation'; 'actions.handover' -> 'actions'."""
    parts = module.split(".")
    if parts[0] == "actions":
        return "actions"
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in PACKAGES) else "foundation"


PACKAGES = {"domain", "language", "store", "mail", "jobs", "rasa_extensions", "channels", "web", "ops", "evaluation"}
# What each lower layer must never import (docs/architecture.md): dependencies point one way,
# ops -> web, channels, actions -> mail, jobs -> store -> domain -> language -> foundation.
NEVER_IMPORTS = {
    "foundation": {"store", "mail", "jobs", "rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "domain": {"store", "mail", "jobs", "rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "language": {"domain", "store", "mail", "jobs", "rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "store": {"mail", "jobs", "rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "mail": {"jobs", "rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "jobs": {"rasa_extensions", "channels", "web", "ops", "evaluation", "actions"},
    "rasa_extensions": {"channels", "web", "ops", "evaluation", "actions"},
    "actions": {"web", "ops", "evaluation"},
    "channels": {"ops", "evaluation", "actions"},
    "web": {"ops", "evaluation", "actions", "channels", "rasa_extensions"},
    "evaluation": {"ops"},
}


def test_dependencies_point_one_way_and_nothing_imports_the_operations():
    wrong = sorted(
        f"{importer} -> {imported}"
        for importer, imported_modules in import_graph().items()
        for imported in imported_modules
        if package_of(imported) in NEVER_IMPORTS.get(package_of(importer), set())
    )
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import():
    assert package_of("bot.store.live") == "store" and package_of("bot.settings") == "foundation"
    assert package_of("bot.ops") == "ops" and package_of("actions.handover") == "actions"
    assert "web" in NEVER_IMPORTS[package_of("bot.store.casework")]
