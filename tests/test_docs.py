"""The docs say what the code does, and these tests keep them saying it: the import
rule of docs/ARCHITECTURE.md (read from the source with ``ast``, nothing imported),
the error table of docs/SYNC.md against ``sync.protocol.ERROR_CODES``, the commands
README.md names, SQL only in the storage modules, and modules of a readable size."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import free_port, stop_process, wait_until_answers  # noqa: E402
README = ROOT / "README.md"
SYNC_DOC = ROOT / "docs" / "SYNC.md"


# ---- the modules of stroll/ and sync/, read with ast --------------------------------------


@dataclass(frozen=True)
class Module:
    name: str       # dotted: stroll.store, sync.server.app
    path: Path

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


@lru_cache(maxsize=None)
def modules() -> dict[str, Module]:
    out = {}
    for top in ("stroll", "sync"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = Module(".".join(parts), path)
    return out


@lru_cache(maxsize=None)
def tree(mod: Module) -> ast.Module:
    return ast.parse(mod.path.read_text(encoding="utf-8"), filename=str(mod.path))


def imports(mod: Module, parsed: ast.Module | None = None) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the module, lazy ones included.
    ``from a import b`` counts as importing ``a.b`` when that is a module of the repo."""
    known = modules()
    package = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
    out = []
    for node in ast.walk(parsed or tree(mod)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((node.lineno, sub if sub in known else target))
    return out


# ---- the import rule ----------------------------------------------------------------------
#
# Device layers, top to bottom; a module may import its own layer and the ones below:
#   entry     stroll.cli, stroll.__main__, stroll.phone
#   ui        stroll.ui.*
#   state     stroll.state(.*)
#   services  stroll.patrol, stroll.demo, stroll.i18n, stroll.settings and any other
#             top-level stroll module (i18n and settings are imported by the state, the
#             screens, the services and the command line, and import only the store and
#             the domain: they sit beside the services)
#   store     stroll.store(.*), sync.client, sync.engine, sync.plan (and other device
#             modules of sync/)
#   version   sync.version: the distribution's version, read from its metadata
#   protocol  sync.protocol
#   domain    stroll.domain(.*)
# The server (sync.server.*) imports only sync.protocol, sync.version, its own modules,
# stroll.domain and the language catalogs (stroll.i18n, with the Chinese script converter
# it hands the domain: the console speaks the app's languages); no device module imports
# the server.

LAYERS = ["domain", "protocol", "version", "store", "services", "state", "ui", "entry"]
RANK = {name: i for i, name in enumerate(LAYERS)}
BELOW_STATE = {"domain", "protocol", "version", "store", "services"}
SERVER_MAY_IMPORT = ("sync.protocol", "sync.version", "sync.server", "stroll.domain",
                     "stroll.i18n", "stroll.chinese_script")
# I/O, concurrency and frameworks: the domain and the protocol are pure data and rules
IMPURE = {"sqlite3", "sqlite_utils", "psycopg", "requests", "httpx", "urllib", "http",
          "socket", "ssl", "asyncio", "threading", "multiprocessing", "concurrent",
          "subprocess", "os", "shutil", "pathlib", "io", "tempfile", "glob", "fcntl",
          "logging", "importlib", "flet", "fastapi", "starlette", "uvicorn", "pydantic"}


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer(name: str) -> str | None:
    """The layer of a stroll/sync module; None for the server and the bare packages."""
    if name in ("stroll", "sync") or under(name, "sync.server"):
        return None
    if under(name, "stroll.domain"):
        return "domain"
    if name == "sync.protocol":
        return "protocol"
    if name == "sync.version":
        return "version"
    if under(name, "stroll.store") or under(name, "sync"):
        return "store"
    if under(name, "stroll.ui"):
        return "ui"
    if under(name, "stroll.state"):
        return "state"
    if name in ("stroll.cli", "stroll.__main__", "stroll.phone"):
        return "entry"
    return "services"


def import_rule_violations(mod: Module, parsed: ast.Module | None = None) -> list[str]:
    """One message per import that breaks the rule: file:line, importer, imported, why."""
    own = layer(mod.name)
    found = []
    for line, target in imports(mod, parsed):
        where = f"{mod.rel}:{line}: {mod.name} imports {target}"
        top = target.split(".")[0]
        flet = top == "flet" or top.startswith("flet_")
        if under(mod.name, "sync.server"):
            if top in ("stroll", "sync") and not under(target, *SERVER_MAY_IMPORT) \
                    and target not in ("sync",):
                found.append(f"{where} (the server imports only "
                             f"{', '.join(SERVER_MAY_IMPORT)})")
            if flet:
                found.append(f"{where} (no Flet in the server)")
            continue
        if top in ("stroll", "sync"):
            if under(target, "sync.server"):
                found.append(f"{where} (device code never imports the server)")
                continue
            theirs = layer(target)
            if own is not None and theirs is not None and RANK[theirs] > RANK[own]:
                found.append(f"{where} (layer {own} imports layer {theirs} above it)")
        if flet and own in BELOW_STATE:
            found.append(f"{where} (no Flet below stroll.state)")
        if own in ("domain", "protocol") and (top in IMPURE or flet):
            found.append(f"{where} (the {own} is pure: no I/O or framework imports)")
    return found


# Modules known to break the rule, marked xfail until they are fixed: none today.
KNOWN_IMPORT_BREAKS: dict[str, str] = {}


def _marked(names, known: dict[str, str]):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=known[n]))
            if n in known else n for n in sorted(names)]


@pytest.mark.parametrize("name", _marked(modules(), KNOWN_IMPORT_BREAKS))
def test_module_imports_only_its_own_layer_and_the_ones_below(name):
    assert import_rule_violations(modules()[name]) == []


def test_the_import_rule_catches_a_store_that_imports_flet_and_the_state():
    """The check itself: a lower layer reaching up or into Flet is reported with the
    module, the line and what it imported."""
    mod = Module("stroll.store.fake", ROOT / "stroll" / "store_fake.py")
    source = "import json\nimport flet_map as fm\nfrom stroll.state import AppState\n"
    found = import_rule_violations(mod, ast.parse(source))
    assert found == [
        "stroll/store_fake.py:2: stroll.store.fake imports flet_map "
        "(no Flet below stroll.state)",
        "stroll/store_fake.py:3: stroll.store.fake imports stroll.state "
        "(layer store imports layer state above it)",
    ]


def test_the_server_imports_no_device_module():
    found = [v for m in modules().values() if under(m.name, "sync.server")
             for v in import_rule_violations(m)]
    assert found == []


# ---- docs/SYNC.md's error table -----------------------------------------------------------


def sync_doc_error_table() -> dict[str, int]:
    """code -> status from the Markdown table headed ``| status | code | when |``.
    A row may pair several statuses and codes (``404 / 405 | `a` / `b```) or give
    several codes one status (``413 | `a` / `b```)."""
    lines = SYNC_DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines)
                 if [c.strip().lower() for c in line.strip().strip("|").split("|")][:2]
                 == ["status", "code"])
    table: dict[str, int] = {}
    for line in lines[start + 2:]:
        if not line.strip().startswith("|"):
            break
        status_cell, code_cell = [c.strip() for c in line.strip().strip("|").split("|")][:2]
        statuses = [int(s) for s in re.findall(r"\d{3}", status_cell)]
        codes = re.findall(r"`([a-z_]+)`", code_cell)
        assert codes and statuses, f"docs/SYNC.md: unreadable error row: {line}"
        if len(statuses) == 1:
            statuses *= len(codes)
        assert len(statuses) == len(codes), f"docs/SYNC.md: statuses and codes differ: {line}"
        for code, status in zip(codes, statuses):
            assert code not in table, f"docs/SYNC.md lists {code} twice"
            table[code] = status
    return table


def test_sync_doc_error_table_lists_every_error_code_with_its_status():
    from sync.protocol import ERROR_CODES
    assert sync_doc_error_table() == dict(ERROR_CODES)


# ---- the commands README.md names ---------------------------------------------------------


def readme_commands() -> list[str]:
    """Every command README.md shows, in code spans and indented code blocks, that
    runs a script of the repository or the ``stroll`` / ``stroll-server`` programs."""
    text = README.read_text(encoding="utf-8")
    snippets = re.findall(r"`([^`\n]+)`", text)
    snippets += [line.strip() for line in text.splitlines() if line.startswith("    ")
                 and not line.strip().startswith(("│", "┌", "└", "-"))]
    found = []
    for snippet in snippets:
        for part in re.split(r"\s*(?:&&|;)\s*", snippet):
            part = part.strip()
            if re.match(r"(\./scripts/|\.venv/bin/python scripts/|stroll(-server)? )", part) \
                    or part in ("stroll", "stroll-server"):
                found.append(part)
    return list(dict.fromkeys(found))


def run_python(*args: str, env: dict | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                **(env or {})})


def help_of(program: str) -> str:
    import contextlib
    import io
    if program == "stroll":
        from stroll.cli import build_parser
    else:
        from sync.server.cli import build_parser
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e:
        build_parser().parse_args(["--help"])
    assert e.value.code == 0
    return out.getvalue()


def check_program_command(command: str) -> None:
    """``stroll <subcommand> [--options]`` / ``stroll-server [--options]``: the
    subcommand and every option README names are in the program's --help."""
    program, *words = command.split()
    text = help_of(program)
    for word in words:
        if word.startswith("--"):
            assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), \
                f"README: {command!r}: {program} has no option {word}"
        elif re.fullmatch(r"[a-z][a-z-]*", word) and program == "stroll":
            from stroll.cli import build_parser
            choices = next(a.choices for a in build_parser()._actions if a.dest == "command")
            assert word in choices, f"README: {command!r}: stroll has no command {word}"


def check_script(command: str) -> None:
    words = command.split()
    script = ROOT / (words[1] if words[0].endswith("python") else words[0])
    assert script.is_file(), f"README names {command!r}, but there is no {script.name}"
    if not words[0].endswith("python"):
        assert os.access(script, os.X_OK), f"{script.name} is not executable"


def test_readme_names_the_commands_these_tests_run():
    commands = readme_commands()
    programs = {c.split()[0] for c in commands}
    assert {"./scripts/demo", "./scripts/test", "stroll", "stroll-server"} <= programs, \
        commands


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_exists_with_the_options_it_shows(command):
    if command.startswith(("./scripts/", ".venv/bin/python")):
        check_script(command)
    else:
        check_program_command(command)


def test_scripts_test_runs_pytest():
    text = (ROOT / "scripts" / "test").read_text()
    assert re.search(r"^exec .*-m pytest \"\$@\"", text, re.M), text


def test_scripts_demo_runs_stroll_demo_with_its_arguments_beside_a_demo_server():
    text = (ROOT / "scripts" / "demo").read_text()
    assert re.search(r"^(exec )?\S*stroll demo \"\$@\"$", text, re.M), text
    assert re.search(r"^\S*stroll-server seed-demo ", text, re.M), text
    password = re.search(r'^PASSWORD="([^"]+)"$', text, re.M).group(1)
    assert f"`{password}`" in README.read_text(encoding="utf-8")   # README says it


def test_stroll_seed_demo_fills_a_new_database(tmp_path):
    from stroll.cli import main
    from stroll.store import Store
    db = tmp_path / "device.db"
    assert main(["seed-demo", "--db", str(db)]) == 0
    with Store(db) as store:
        assert store.count("neighborhood") == 3
        assert store.count("merchant") > 0


def test_readme_demo_command_serves_the_app_over_http(tmp_path):
    """``./scripts/demo --no-browser --port N`` as README shows it: the script execs
    ``stroll demo`` with its arguments (checked above), so this runs that command
    (the script's setup step, a pip install, is left to scripts/test)."""
    shown = next(c for c in readme_commands()
                 if c.startswith("./scripts/demo ") and "--port" in c)
    words = shown.split()[1:]
    port = free_port()
    words[words.index("--port") + 1] = str(port)
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "stroll", "demo", *words], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT),
                                     "STROLL_DB_PATH": str(tmp_path / "device.db")},
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        r = wait_until_answers(f"http://127.0.0.1:{port}/", proc, log, 90, what="stroll demo")
        assert "<html" in r.text.lower()
        assert "seeded" in log.read_text(errors="replace")
    finally:
        stop_process(proc)


# ---- SQL lives in the storage modules -----------------------------------------------------

SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|"
                 r"\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
                 r"\b(CREATE|DROP|ALTER)\s+(TEMP\s+)?(TABLE|INDEX|UNIQUE\s+INDEX|VIEW|"
                 r"TRIGGER|SCHEMA)\b|\bPRAGMA\s+\w+")
SQL_HOMES = ("stroll.store", "sync.server.storage")
KNOWN_SQL: dict[str, str] = {}


def sql_strings(mod: Module, parsed: ast.Module | None = None) -> list[str]:
    """``file:line: text`` of each string literal (f-strings too) that reads as SQL;
    docstrings, which may name a statement, are skipped."""
    parsed = parsed or tree(mod)
    docstrings = set()
    for node in ast.walk(parsed):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    found = []
    for node in ast.walk(parsed):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and SQL.search(node.value):
            found.append(f"{mod.rel}:{node.lineno}: {node.value.strip()[:60]!r}")
    return found


@pytest.mark.parametrize("name", _marked(
    [n for n in modules() if not under(n, *SQL_HOMES)], KNOWN_SQL))
def test_no_sql_outside_the_store_and_the_server_storage(name):
    assert sql_strings(modules()[name]) == []


def test_the_sql_check_sees_sql_in_a_string():
    mod = Module("x", ROOT / "x.py")
    text = 'def f(db, t):\n    """SELECT a FROM b in a docstring is fine."""\n' \
           '    return db.execute(f"SELECT id FROM {t} WHERE x = ?")\n'
    found = sql_strings(mod, ast.parse(text))
    assert len(found) == 1 and found[0].startswith("x.py:3:")


# ---- module size ----------------------------------------------------------------------------

MAX_LINES = 450
# Modules known to break the rule, marked xfail until they are fixed: none today.
KNOWN_LONG: dict[str, str] = {}


def size_reason(mod: Module) -> str | None:
    doc = ast.get_docstring(tree(mod)) or ""
    return next((line for line in doc.splitlines() if line.startswith("Size:")), None)


@pytest.mark.parametrize("name", _marked(modules(), KNOWN_LONG))
def test_module_is_short_or_says_why_it_is_long(name):
    mod = modules()[name]
    n = len(mod.path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES or size_reason(mod), \
        f"{mod.rel} has {n} lines (> {MAX_LINES}) and no 'Size:' line in its docstring"


# ---- docs/SYNC.md's tables of who may write and read what ---------------------------------


def sync_doc_table(header: list[str]) -> list[list[str]]:
    """The rows of the Markdown table of docs/SYNC.md whose header row is ``header``,
    each cell stripped of spaces and backquotes."""
    lines = SYNC_DOC.read_text(encoding="utf-8").splitlines()

    def cells(line: str) -> list[str]:
        return [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
    start = next(i for i, line in enumerate(lines)
                 if line.strip().startswith("|") and cells(line) == header)
    rows = []
    for line in lines[start + 2:]:
        if not line.strip().startswith("|"):
            break
        rows.append(cells(line))
    return rows


def test_sync_doc_endpoint_table_is_the_servers_rule_for_each_endpoint():
    from sync.server.rules import ENDPOINTS
    doc = {endpoint: who.split(" ")[0] for endpoint, who in
           sync_doc_table(["endpoint", "who"])}
    assert doc == {e: need or "-" for e, need in ENDPOINTS.items()}


def test_sync_doc_console_table_is_the_servers_rule_for_each_console_page():
    from sync.server.rules import CONSOLE
    doc = dict(sync_doc_table(["console page", "who"]))
    assert doc == {e: need or "-" for e, need in CONSOLE.items()}


def test_sync_doc_write_table_is_the_servers_rule_for_each_record_type():
    from sync.server.rules import WRITE
    doc = {r[0]: tuple(r[1:]) for r in
           sync_doc_table(["record", "create", "change own", "change anyone's"])}
    assert doc == WRITE


def test_sync_doc_read_table_is_the_servers_rule_for_each_record_type_and_role():
    from sync.server.rules import READ, ROLES, reads
    doc = {r[0]: dict(zip(ROLES, r[1:])) for r in sync_doc_table(["record", *ROLES])}
    assert doc == {rtype: {role: ", else ".join(f"{w} {v}" for w, v in reads(rtype, role))
                           or "-" for role in ROLES} for rtype in READ}
