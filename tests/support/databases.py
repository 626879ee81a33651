"""A database for one benchmark run: a SQLite file in a folder, or a fresh schema of a
PostgreSQL database, dropped afterwards."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(backend: str, folder: Path, pg_url: str = PG_URL,
                     name: str = "bench.db") -> Iterator[str]:
    """The URL of an empty database of ``backend`` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(folder) / name}"
        return
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg_url, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")
