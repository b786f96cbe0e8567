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
    assert "bot.domain.catalog" in graph and "actions.booking" in graph  # the walk sees our code
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


def action_methods(source: str) -> tuple[list[str], list[str]]:
    """(plain `run`/`validate…` methods, coroutines other than `required_slots`) of a module's source."""
    plain, coroutines = [], []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef) and node.name != "required_slots":
            coroutines.append(f"{node.lineno} {node.name}")
        elif isinstance(node, ast.FunctionDef) and (node.name in ("run", "validate") or node.name.startswith("validate_")):
            plain.append(node.name)
    return plain, coroutines


def test_actions_are_plain_functions_that_the_action_server_runs_in_worker_threads():
    """The actions' bodies block (SQLAlchemy, the dossier's retries): they say so, `def run` and
    `def validate_…`, and the action server runs each call in a worker thread
    (bot/rasa_extensions/action_server.py). Only `required_slots`, which rasa_sdk awaits, is a coroutine."""
    plain, coroutines = [], []
    for path in sorted((paths.ROOT / "actions").glob("**/*.py")):
        found, pretending = action_methods(path.read_text(encoding="utf-8"))
        plain += found
        coroutines += [f"{path.name}:{where}" for where in pretending]
    assert "run" in plain and "validate_creneau" in plain  # the walk sees the actions
    assert coroutines == []


def test_a_planted_coroutine_action_is_reported():
    planted = """
class ActionPretends(Action):
    async def run(self, dispatcher, tracker, domain):
        return []

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        return domain_slots
"""
    assert action_methods(planted) == ([], ["3 run"])


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
LAYERS = PACKAGES | {"actions", "foundation"}
# What each part may import (besides itself), as the table « Who owns what » of docs/architecture.md
# states it: the page is read, so the page and this check are one list. Every edge listed is used.
ARCHITECTURE_PAGE = paths.ROOT / "docs" / "architecture.md"


def allowed_imports(page: str) -> dict[str, set[str]]:
    """The table « | Where | Owns | May import | » of the page: part -> parts it may import. A
    part is named by its first path (`bot/store/` -> store, `actions/` -> actions, a row starting
    « foundation: » -> foundation); « everything » is every part; `data/` rows own no code."""
    allowed: dict[str, set[str]] = {}
    rows = page.split("| Where | Owns | May import |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    for row in rows:
        where, _, may = (cell.strip() for cell in row.strip().strip("|").split("|"))
        if where.startswith("foundation"):
            part = "foundation"
        else:
            first = where.split("`")[1].strip("/")
            if first.startswith("data"):
                continue
            part = first.removeprefix("bot/")
        if may.startswith("everything"):
            names = LAYERS - {part}
        else:
            names = {n.strip() for n in may.split("(")[0].split(",") if n.strip() not in ("", "—")}
            names = {"foundation" if n in ("settings", "paths") else n for n in names}
        assert part in LAYERS and names <= LAYERS, (row, names - LAYERS)
        allowed.setdefault(part, set()).update(names - {part})
    return allowed


def layer_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """(part, part it imports) -> the module imports that make the edge."""
    edges: dict[tuple[str, str], list[str]] = {}
    for importer, imported_modules in graph.items():
        for imported in imported_modules:
            if package_of(importer) != package_of(imported):
                edges.setdefault((package_of(importer), package_of(imported)), []).append(f"{importer} -> {imported}")
    return edges


def wrong_imports(graph: dict[str, set[str]], allowed: dict[str, set[str]]) -> list[str]:
    return sorted(m for (a, b), made in layer_edges(graph).items() if b not in allowed.get(a, set()) for m in made)


def test_the_page_states_every_part_and_nothing_imports_the_operations():
    allowed = allowed_imports(ARCHITECTURE_PAGE.read_text(encoding="utf-8"))
    assert set(allowed) == LAYERS
    assert [part for part, names in allowed.items() if "ops" in names] == []


def test_dependencies_are_those_the_architecture_page_allows():
    allowed = allowed_imports(ARCHITECTURE_PAGE.read_text(encoding="utf-8"))
    assert wrong_imports(import_graph(), allowed) == []


def test_every_import_the_architecture_page_allows_is_made():
    """The page lists no edge that does not exist: when the last import of one goes, so does its mention."""
    allowed = allowed_imports(ARCHITECTURE_PAGE.read_text(encoding="utf-8"))
    made = set(layer_edges(import_graph()))
    unused = sorted(
        (a, b) for a, names in allowed.items() for b in names if (a, b) not in made and a != "ops"
    )  # ops: « everything »
    assert unused == []


def test_the_layer_check_sees_a_wrong_import():
    assert package_of("bot.store.live") == "store" and package_of("bot.settings") == "foundation"
    assert package_of("bot.ops") == "ops" and package_of("actions.handover") == "actions"
    page = (
        "| Where | Owns | May import |\n|---|---|---|\n"
        "| foundation: `bot/settings.py` | settings | paths |\n"
        "| `bot/language/` | French | — |\n"
        "| `bot/store/` | the database | domain, foundation |\n"
        "| `bot/ops/` | operations | everything; nothing imports it |\n\n"
    )
    allowed = allowed_imports(page)
    assert allowed["foundation"] == set() and allowed["store"] == {"domain", "foundation"} and "store" in allowed["ops"]
    planted = {
        "bot.settings": {"bot.language.french"},
        "bot.store.live": {"bot.web.live", "bot.domain.catalog"},
        "bot.web.live": set(),
    }
    assert wrong_imports(planted, allowed) == ["bot.settings -> bot.language.french", "bot.store.live -> bot.web.live"]


# --- the store owns every query; the boundaries alone end a transaction ------------------------
# Session methods that read or write the database, and SQLAlchemy's statement builders: written
# only in bot/store/ (plus Rasa's own tracker store, which keeps Rasa's `events` table).
ORM_METHODS = {
    "query",
    "get",
    "execute",
    "scalar",
    "scalars",
    "add",
    "add_all",
    "delete",
    "merge",
    "flush",
    "begin_nested",
    "refresh",
    "expunge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "get_bind",
}
STATEMENTS = {"select", "update", "delete", "insert"}
ORM_OUTSIDE_THE_STORE = {"bot.rasa_extensions.tracker_store"}  # Rasa's events table, Rasa's session


def orm_calls(source: str) -> list[str]:
    """ORM use in the source, as « line what »: a session method (`session.query(…)`, `x.session.add(…)`;
    `.get` only with a mapped class, `session.get(Mediator, 1)`, so that a dict's `.get("key")` is
    not one), or a statement built with sqlalchemy's select/update/delete/insert."""
    tree = ast.parse(source)
    builders, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            builders |= {alias.asname or alias.name for alias in node.names if alias.name in STATEMENTS}
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name.split(".")[0] == "sqlalchemy"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            found.append(f"{node.lineno} {func.id}(")
        elif isinstance(func, ast.Attribute):
            receiver = func.value
            name = receiver.id if isinstance(receiver, ast.Name) else receiver.attr if isinstance(receiver, ast.Attribute) else ""
            if func.attr in STATEMENTS and isinstance(receiver, ast.Name) and receiver.id in modules:
                found.append(f"{node.lineno} {receiver.id}.{func.attr}(")
            elif func.attr in ORM_METHODS and name.lower().endswith("session"):
                mapped = bool(node.args) and isinstance(node.args[0], ast.Name) and node.args[0].id[:1].isupper()
                if func.attr != "get" or mapped:
                    found.append(f"{node.lineno} {name}.{func.attr}")
    return sorted(found, key=lambda call: int(call.split()[0]))


def test_the_orm_finder_sees_session_calls_and_statements():
    source = (
        "from sqlalchemy import select\n"
        "def f(session, request):\n"
        "    session.query(Mediator).all()\n"
        "    session.get(Mediator, 1)\n"
        "    request.session.get('identity')\n"
        "    self.session.add(x)\n"
        "    return select(Slot)\n"
    )
    assert orm_calls(source) == ["3 session.query", "4 session.get", "6 session.add", "7 select("]
    assert orm_calls("import sqlalchemy as sa\ndef f(s):\n    s.execute(sa.insert(T))\n") == ["3 sa.insert("]
    assert orm_calls("def f(data):\n    return data.get('x'), {}.get('y')\n") == []


def test_only_the_store_queries_the_database():
    """Reads and writes are named functions of bot/store (in the module owning the aggregate):
    the web app, the mail, the jobs, the actions and the operations call them."""
    found = {
        name: calls
        for name, path in our_modules().items()
        if not name.startswith("bot.store") and (calls := orm_calls(path.read_text(encoding="utf-8")))
    }
    assert set(found) == ORM_OUTSIDE_THE_STORE, {n: c for n, c in found.items() if n not in ORM_OUTSIDE_THE_STORE}


def test_a_planted_query_outside_the_store_is_reported(tmp_path):
    planted = tmp_path / "console_page.py"
    planted.write_text("def page(session):\n    return session.query(Mediator).filter_by(active=True).all()\n")
    assert orm_calls(planted.read_text()) == ["2 session.query"]


# Who ends a transaction (commit, rollback): module -> its functions (or classes) that do. A web
# route's work runs in `in_db` (bot/web/handlers.py: db_runner); an action, a job and a CLI
# command own their session; Rasa's tracker store saves Rasa's events.
TRANSACTION_BOUNDARIES = {
    "bot.web.handlers": {"db_runner"},
    "actions.booking": {"ActionBookAppointment"},
    "actions.live": {"try_live_handover"},
    "bot.jobs.runner": {"_take_turn_now"},
    "bot.jobs.mail_sender": {"queue_reminders", "send_one", "run_pass"},
    "bot.jobs.live_watch": {"_in_db"},
    "bot.jobs.retention_purge": {"purge"},
    "bot.ops.store_cli": {
        "create_demo_data",
        "cmd_mediators_add",
        "cmd_slots_open",
        "cmd_purge",
        "create_demo_accounts",
    },
    "bot.rasa_extensions.tracker_store": {"LeanSQLTrackerStore"},
}


def transaction_ends_by_owner(source: str) -> set[str]:
    """The top-level functions and classes of the source that commit or roll back."""
    owners = set()
    for top in ast.parse(source).body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if transaction_ends(ast.unparse(top)):
                owners.add(top.name)
        elif transaction_ends(ast.unparse(top)):
            owners.add("<module>")
    return owners


def test_only_the_listed_boundaries_commit_or_roll_back():
    found = {
        name: owners
        for name, path in our_modules().items()
        if (owners := transaction_ends_by_owner(path.read_text(encoding="utf-8")))
    }
    assert found == TRANSACTION_BOUNDARIES


def test_a_planted_commit_in_a_route_is_reported():
    planted = "def agenda_page(request):\n    def load(session):\n        session.commit()\n    return load\n"
    assert transaction_ends_by_owner(planted) == {"agenda_page"}
    assert "bot.web.console" not in TRANSACTION_BOUNDARIES


# --- time: the boundaries read the clock, the layers below take `now` ----------------------------
# The store, the domain, the mail and the language never read the real clock: a boundary (a route,
# an action, a job, a CLI command) reads bot/clock.py once and passes `now` down. A column default
# or `onupdate` that stamps the time is a read too (SQLAlchemy calls it at the flush).
TIMELESS = ("bot.store", "bot.domain", "bot.mail", "bot.language")
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
WALL_CLOCK_CALLS |= {("time", "time"), ("time", "time_ns"), ("func", "now"), ("func", "current_timestamp")}


def clock_reads(source: str) -> list[str]:
    """Reads of the real clock in the source, as « line what »: `datetime.now()`, `utcnow()`,
    `date.today()`, `time.time()`, the database's `func.now()`, `time()` imported from `time`, or
    an import of bot/clock.py."""
    tree = ast.parse(source)
    from_time = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module == "time":
                from_time |= {alias.asname or alias.name for alias in node.names if alias.name in ("time", "time_ns")}
            if (node.module == "bot" and any(a.name == "clock" for a in node.names)) or node.module == "bot.clock":
                found.append(f"{node.lineno} import bot.clock")
        elif isinstance(node, ast.Import) and any(alias.name == "bot.clock" for alias in node.names):
            found.append(f"{node.lineno} import bot.clock")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value.id if isinstance(func.value, ast.Name) else getattr(func.value, "attr", "")
            if (receiver, func.attr) in WALL_CLOCK_CALLS:
                found.append(f"{node.lineno} {receiver}.{func.attr}()")
        elif isinstance(func, ast.Name) and func.id in from_time:
            found.append(f"{node.lineno} {func.id}()")
    return sorted(found, key=lambda read: int(read.split()[0]))


def test_the_clock_finder_sees_a_read():
    planted = (
        "from datetime import datetime, timezone\n"
        "from sqlalchemy import Column, DateTime\n"
        "def utcnow():\n"
        "    return datetime.now(timezone.utc)\n"
        "created_at = Column(DateTime, default=utcnow)\n"
    )
    assert clock_reads(planted) == ["4 datetime.now()"]
    assert clock_reads("from bot import clock, settings\ndef f(now=None):\n    return now or clock.now()\n") == [
        "1 import bot.clock"
    ]
    assert clock_reads("import time\nfrom time import time as t\nx = time.time() + t()\n") == ["3 time.time()", "3 t()"]
    assert clock_reads("import datetime\nx = datetime.date.today()\n") == ["2 date.today()"]
    assert clock_reads("from sqlalchemy import func\nupdated = Column(DateTime, server_default=func.now())\n") == ["2 func.now()"]
    assert clock_reads("def f(now):\n    return now.date(), datetime.fromtimestamp(0)\n") == []


def test_the_store_the_domain_the_mail_and_the_language_never_read_the_clock():
    """Every moment they use comes from their caller (`now`), so a test or a replay of the spool
    moves them all with one injected clock, and no stored row is dated by the real one."""
    modules = {name: path for name, path in our_modules().items() if name.startswith(TIMELESS)}
    assert "bot.store.tables" in modules and "bot.domain.synthesis" in modules  # the walk sees them
    reading = {name: reads for name, path in modules.items() if (reads := clock_reads(path.read_text(encoding="utf-8")))}
    assert reading == {}
