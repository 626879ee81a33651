"""``stroll-server``: run the sync server (uvicorn) with settings from the command
line and the environment (``SYNC_*``); ``stroll-server admin ...`` manages members,
invites and devices from the command line (``admin.py``)."""
from __future__ import annotations

import argparse
import os
import sys

from .settings import ConfigError, Settings, load_settings

_ENV_OVERRIDES = ("database_url", "host", "port", "workers", "log_level", "access_log")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="stroll-server",
        description="Run the stroll sync server: devices push their outbox and pull "
                    "changes over HTTP (wire contract: docs/SYNC.md). Every option can "
                    "also be set in the environment (SYNC_<NAME>); the command line wins.",
        epilog="Examples:\n"
               "  stroll-server                      # SQLite in your data folder, port 8765\n"
               "  stroll-server --port 9000 --database-url sqlite:////srv/stroll/sync.db\n"
               "  SYNC_DATABASE_URL=postgresql://stroll@db/stroll stroll-server --workers 4\n"
               "  stroll-server admin create --name 'Mei Chan' --role admin\n"
               "                                     # the first admin and an invite code\n"
               "  stroll-server admin --help         # members, invites, devices, audit\n"
               "Other settings (environment only): SYNC_MAX_BATCH, SYNC_MAX_BODY_BYTES,\n"
               "SYNC_POOL_SIZE, SYNC_SQLITE_SYNCHRONOUS, SYNC_TOKEN_TTL_DAYS,\n"
               "SYNC_INVITE_TTL_HOURS, SYNC_ENROLL_PER_MINUTE, SYNC_ENROLL_FAILURES_PER_HOUR,\n"
               "SYNC_PUBLIC_URL.\n"
               "API documentation: http://HOST:PORT/docs",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", help="address to listen on (SYNC_HOST; default 127.0.0.1; "
                                   "0.0.0.0 for every interface)")
    ap.add_argument("--port", type=int, help="TCP port (SYNC_PORT; default 8765)")
    ap.add_argument("--database-url", metavar="URL",
                    help="sqlite:////path/file.db or postgresql://user@host/db "
                         "(SYNC_DATABASE_URL; default: SQLite in the user's data folder)")
    ap.add_argument("--workers", type=int, help="server processes (SYNC_WORKERS; default 1)")
    ap.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"],
                    help="SYNC_LOG_LEVEL; default info")
    ap.add_argument("--access-log", action="store_true", default=None,
                    help="log every request (SYNC_ACCESS_LOG; default off)")
    ap.add_argument("--check", action="store_true",
                    help="check the settings and the database (migrating it), then exit")
    return ap


def app_from_env():
    """uvicorn factory: each worker process builds its app from the environment."""
    from .app import create_app
    return create_app(load_settings())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["admin"]:
        from .admin import main as admin_main
        return admin_main(argv[1:])
    args = build_parser().parse_args(argv)
    overrides = {k: getattr(args, k) for k in _ENV_OVERRIDES}
    try:
        settings = load_settings(**overrides)
    except ConfigError as e:
        print(f"stroll-server: {e}", file=sys.stderr)
        return 2
    # Workers rebuild their settings from the environment: hand the command line down.
    for k, v in overrides.items():
        if v is not None:
            os.environ[f"SYNC_{k.upper()}"] = str(v)

    from .storage import StorageError, open_storage
    try:  # migrate once here, before any worker starts; and fail early and clearly
        open_storage(settings.database_url, pool_size=1,
                     sqlite_synchronous=settings.sqlite_synchronous).close()
    except StorageError as e:
        print(f"stroll-server: database {settings.backend}: {e}", file=sys.stderr)
        return 1
    if args.check:
        print(f"stroll-server: settings and {settings.backend} database are fine")
        return 0
    return serve(settings)


def serve(settings: Settings) -> int:
    import uvicorn
    print(f"stroll-server: {settings.backend} database, listening on "
          f"http://{settings.host}:{settings.port} (docs at /docs)", file=sys.stderr, flush=True)
    uvicorn.run("sync.server.cli:app_from_env", factory=True, host=settings.host,
                port=settings.port, workers=settings.workers if settings.workers > 1 else None,
                log_level=settings.log_level, access_log=settings.access_log,
                timeout_graceful_shutdown=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
