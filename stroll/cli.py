"""The ``stroll`` command: serve the device app to the local browser, seed demo data."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from stroll.domain.errors import StrollError
from stroll.settings import (LANGUAGES, Settings, mbtiles_path, validate_language, validate_port,
                             validate_url)

DESCRIPTION = """\
stroll: the offline-first field app for community safety patrols.

Ambassadors and stroll leads log patrols (team, GPS track, merchant check-ins,
incidents) with no network; volunteers find shifts; everything waits in a local
SQLite file and syncs to the central server (stroll-server) when it can.
"""

EPILOG = """\
commands:
  serve        serve the app to this computer's browser (the default)
  demo         seed demo data (SF Chinatown, Oakland Chinatown, Eastlake/Little
               Saigon) into the database if it has none, then serve
  seed-demo    only seed demo data, then exit

environment (flags win): STROLL_DB_PATH, STROLL_HOST, STROLL_PORT,
STROLL_SERVER_URL, STROLL_LANGUAGE, STROLL_TILE_URL, STROLL_MBTILES,
STROLL_OPEN_BROWSER, STROLL_ALLOW_INSECURE_SERVER

examples:
  stroll demo --port 8550
  stroll serve --db ~/patrol.db --server https://sync.example.org
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stroll", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", default="serve", choices=("serve", "demo", "seed-demo"),
                   help="what to do (default: serve)")
    p.add_argument("--db", metavar="PATH", help="the device database file "
                   "(default: stroll/stroll.db in the user's data folder)")
    p.add_argument("--host", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to serve on (default 8550)")
    p.add_argument("--server", metavar="URL", help="central sync server address "
                   "(https://; http:// only to this computer, or with --allow-insecure-server)")
    p.add_argument("--allow-insecure-server", action="store_true", default=None,
                   help="accept an http:// server address that is not this computer: the "
                        "token and records travel unencrypted (STROLL_ALLOW_INSECURE_SERVER)")
    p.add_argument("--language", choices=LANGUAGES, help="language of the app")
    p.add_argument("--mbtiles", metavar="PATH", help="offline map layer: an MBTiles file "
                   "the app serves to its maps (default: the demo neighborhoods' basemap; "
                   "'' for none)")
    p.add_argument("--no-browser", action="store_true",
                   help="serve without opening a browser window")
    return p


def settings_from_args(args: argparse.Namespace, env: dict | None = None) -> Settings:
    s = Settings.from_env(env, allow_insecure_server=args.allow_insecure_server)
    if args.db:
        s = replace(s, db_path=Path(args.db).expanduser())
    if args.host:
        s = replace(s, host=args.host)
    if args.port is not None:
        s = replace(s, port=validate_port("--port", args.port))
    if args.server:
        s = replace(s, server_url=validate_url("--server", args.server,
                                               allow_insecure=s.allow_insecure_server))
    if args.language:
        s = replace(s, language=validate_language("--language", args.language))
    if args.mbtiles is not None:
        s = replace(s, mbtiles=mbtiles_path("--mbtiles", args.mbtiles))
    if args.no_browser:
        s = replace(s, open_browser=False)
    return s


def seed_demo(settings: Settings) -> dict | None:
    """Seed demo data unless the database already has neighborhoods."""
    from stroll.demo import seed
    from stroll.store import Store

    with Store(settings.db_path) as store:
        if store.count("neighborhood"):
            return None
        return seed(store, date.today())


def serve(settings: Settings) -> None:
    import flet as ft

    from stroll.ui.app import build_main

    if not settings.open_browser:
        os.environ["FLET_FORCE_WEB_SERVER"] = "1"
    print(f"stroll: serving http://{settings.host}:{settings.port}/ "
          f"(database {settings.db_path})", flush=True)
    ft.run(build_main(settings), view=ft.AppView.WEB_BROWSER, host=settings.host,
           port=settings.port, assets_dir=str(settings.assets_dir), no_cdn=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
        if args.command in ("demo", "seed-demo"):
            counts = seed_demo(settings)
            if counts is None:
                print(f"stroll: {settings.db_path} already has data; demo not seeded again")
            else:
                total = sum(counts.values())
                print(f"stroll: seeded {total} demo records into {settings.db_path}")
            if args.command == "seed-demo":
                return 0
        serve(settings)
    except StrollError as e:
        print(f"stroll: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
