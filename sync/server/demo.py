"""``stroll-server seed-demo``: the demo program (``stroll.domain.demo_program``: three
neighborhoods, their routes and merchants, members, four weeks of shifts and sign-ups;
``stroll.domain.demo_history``: the past four weeks' strolls, tracks, check-ins and
incidents)
written into the server's database as the server itself (``rules.SERVER``), through
the same rules, merge and cursor as a push, so a phone signed in to this server pulls
it. With a console password, the demo coordinator may also sign in to the console.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from stroll.domain.demo_history import history
from stroll.domain.demo_program import FILES, demo_id, program

from .. import protocol as p
from . import members
from .console import accounts
from .rules import SERVER
from .settings import ConfigError, load_settings
from .storage import Storage, StorageError, open_storage

DEMO_FILES = Path(__file__).resolve().parents[2] / "assets" / "demo"
DEMO_COORDINATOR = demo_id("member", "sf-xiaoyan-zhou")
BATCH = 200


def seed(store: Storage, today: date, tz: str, days: int = 28) -> dict[str, int] | None:
    """Write the demo program unless the server already has neighborhoods; the count
    written of each type (None: not seeded)."""
    if store.records_of_type("neighborhood"):
        return None
    files = {name: json.loads((DEMO_FILES / f"{name}.json").read_text(encoding="utf-8"))
             for name in FILES}
    made = program(files, today, ZoneInfo(tz), days=days)
    made.update(history(made, today, ZoneInfo(tz)))  # four weeks of past patrols
    now = datetime.now(timezone.utc)
    entries = [p.PushEntry(i + 1, rtype, rec.id, "upsert", rec.to_dict(), members.iso(now))
               for i, (rtype, rec) in enumerate((rtype, rec) for rtype, records in made.items()
                                                 for rec in records)]
    for start in range(0, len(entries), BATCH):
        for result in store.write_as(SERVER, entries[start:start + BATCH], now):
            if result.status != "applied":
                raise StorageError(f"the demo record was not written: {result.error}")
    return {rtype: len(records) for rtype, records in made.items()}


def give_console_sign_in(store: Storage, member_id: str, login: str, password: str) -> None:
    """A console sign-in for ``member_id`` (an invite made and redeemed at once)."""
    invite = members.create_invite(store, SERVER, member_id, timedelta(minutes=5))
    taken = store.redeem_invite_for_console(
        code_hash=members.hash_secret(p.normalize_invite_code(invite.code)),
        now=members.iso(datetime.now(timezone.utc)), login=accounts.normalize_login(login),
        password_hash=accounts.hash_password(password), lang="en")
    if taken is None:
        raise StorageError("the demo coordinator's console sign-in was not made")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="stroll-server seed-demo",
        description="Load the demo program (three neighborhoods, routes, merchants, members, "
                    "four weeks of shifts) into the server's database, unless it has "
                    "neighborhoods already.")
    ap.add_argument("--database-url", metavar="URL", help="as for stroll-server")
    ap.add_argument("--console-login", default="xiaoyan",
                    help="the demo coordinator's console sign-in name (default xiaoyan)")
    ap.add_argument("--console-password", metavar="TEXT",
                    help="also let the demo coordinator (Xiaoyan Zhou) sign in to the "
                         "console with this password")
    args = ap.parse_args(argv)
    try:
        settings = load_settings(database_url=args.database_url)
    except ConfigError as e:
        print(f"stroll-server: {e}", file=sys.stderr)
        return 2
    if args.console_password is not None:
        problem = (accounts.login_problem(accounts.normalize_login(args.console_login))
                   or accounts.password_problem(args.console_password,
                                                accounts.normalize_login(args.console_login)))
        if problem:
            print(f"stroll-server seed-demo: the console sign-in is not usable ({problem}): "
                  f"a sign-in name of {accounts.LOGIN_MIN}-{accounts.LOGIN_MAX} characters "
                  f"and a password of at least {accounts.PASSWORD_MIN}", file=sys.stderr)
            return 2
    try:
        store = open_storage(settings.database_url, pool_size=2)
    except StorageError as e:
        print(f"stroll-server: database {settings.backend}: {e}", file=sys.stderr)
        return 1
    try:
        counts = seed(store, date.today(), settings.program_timezone)
        if counts is None:
            print("stroll-server: the database has a program already; demo not seeded again")
        else:
            print(f"stroll-server: seeded {sum(counts.values())} demo records "
                  f"({', '.join(f'{n} {t}' for t, n in counts.items())})")
        if args.console_password is not None:
            give_console_sign_in(store, DEMO_COORDINATOR, args.console_login,
                                 args.console_password)
            print(f"stroll-server: the console sign-in of Xiaoyan Zhou (coordinator): "
                  f"{accounts.normalize_login(args.console_login)}")
    finally:
        store.close()
    return 0
