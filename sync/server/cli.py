"""``stroll-server``: run the sync server (uvicorn) with settings from the command
line and the environment (``SYNC_*``); ``stroll-server admin ...`` manages members,
invites and devices from the command line (``admin.py``)."""
from __future__ import annotations

import argparse
import os
import sys

from .settings import ConfigError, Settings, load_settings

_ENV_OVERRIDES = ("database_url", "host", "port", "workers", "log_level", "access_log",
                  "ssl_keyfile", "ssl_certfile")


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
               "  stroll-server --host 0.0.0.0 --ssl-keyfile key.pem --ssl-certfile cert.pem\n"
               "  stroll-server admin create --name 'Mei Chan' --role admin\n"
               "                                     # the first admin and an invite code\n"
               "  stroll-server admin --help         # members, invites, devices, audit\n"
               "  stroll-server seed-demo --console-password 'a long password'\n"
               "                                     # the demo program, a console sign-in\n"
               "Other settings (environment only): SYNC_MAX_BATCH, SYNC_MAX_BODY_BYTES,\n"
               "SYNC_POOL_SIZE, SYNC_SQLITE_SYNCHRONOUS, SYNC_TOKEN_TTL_DAYS,\n"
               "SYNC_INVITE_TTL_HOURS, SYNC_PUBLIC_URL, SYNC_PROGRAM_TIMEZONE\n"
               "(America/Los_Angeles), SYNC_CONSOLE_SESSION_HOURS (12),\n"
               "SYNC_CONSOLE_SIGN_IN_FAILURES (10 in 15 minutes), SYNC_MBTILES (the\n"
               "console maps' basemap file), SYNC_CALENDAR_PER_MINUTE (60 calendar feed\n"
               "fetches per client address; over: 429).\n"
               "Console for coordinators: http://HOST:PORT/console\n"
               "Limits per server process (environment only; docs/SYNC.md, Limits):\n"
               "  SYNC_MAX_CONNECTIONS (1000; all busy: 503), SYNC_HEADER_TIMEOUT (10 s) and\n"
               "  SYNC_BODY_TIMEOUT (120 s; late: 408), SYNC_KEEP_ALIVE_TIMEOUT (5 s),\n"
               "  SYNC_MAX_HEADER_BYTES (32768) and SYNC_MAX_HEADERS (100; over: 431),\n"
               "  SYNC_ENROLL_PER_MINUTE (30) and SYNC_ENROLL_FAILURES_PER_HOUR (20;\n"
               "  over: 429), per client address.\n"
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
    ap.add_argument("--ssl-keyfile", metavar="PATH",
                    help="TLS private key (PEM): serve HTTPS (SYNC_SSL_KEYFILE; needs "
                         "--ssl-certfile)")
    ap.add_argument("--ssl-certfile", metavar="PATH",
                    help="TLS certificate chain (PEM) (SYNC_SSL_CERTFILE; needs --ssl-keyfile)")
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
    if argv[:1] == ["seed-demo"]:
        from .demo import main as demo_main
        return demo_main(argv[1:])
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

    from .edge import raise_open_file_limit
    # one file descriptor a connection, plus the database's and the log's
    raise_open_file_limit(settings.max_connections + 64)
    print(f"stroll-server: {settings.backend} database, listening on "
          f"{settings.scheme}://{settings.host}:{settings.port} (docs at /docs)",
          file=sys.stderr, flush=True)
    uvicorn.run("sync.server.cli:app_from_env", factory=True, host=settings.host,
                port=settings.port, workers=settings.workers if settings.workers > 1 else None,
                log_level=settings.log_level, access_log=settings.access_log,
                timeout_graceful_shutdown=10, **uvicorn_limits(settings))
    return 0


def uvicorn_limits(settings: Settings) -> dict:
    """uvicorn's options for the limits at the edge (sync/server/edge.py holds the ones
    uvicorn has no option for; it reads them from the environment in each worker)."""
    tls = ({"ssl_keyfile": settings.ssl_keyfile, "ssl_certfile": settings.ssl_certfile}
           if settings.ssl_certfile else {})
    return {"http": "sync.server.edge:EdgeProtocol", "ws": "none",
            # uvicorn's own check answers in plain text; EdgeProtocol answers the JSON shape
            "limit_concurrency": None,
            "timeout_keep_alive": settings.keep_alive_timeout,
            # binds only uvicorn's h11 parser; EdgeProtocol enforces it on httptools
            "h11_max_incomplete_event_size": settings.max_header_bytes,
            **tls}


if __name__ == "__main__":
    sys.exit(main())
