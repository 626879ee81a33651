"""The version of stroll, defined once: the ``version`` of the ``stroll``
distribution (pyproject.toml), which ships both packages, the device app ``stroll``
and ``sync``.

It is read from the installed package's metadata; in a checkout that is not
installed, from the pyproject.toml beside the packages; "0+unknown" when neither is
there. The device (sync client, the app's About line) and the server (``/health``,
the OpenAPI page) both import it, so it lives here, in ``sync`` but outside the wire
protocol and the server: reading metadata is file I/O, which ``sync.protocol`` and
``stroll.domain`` must not do, and the server must not import device modules. It
imports nothing from ``stroll`` or ``sync``: the server and every device layer above
the protocol may import it (tests/test_docs.py keeps that rule).
"""
from __future__ import annotations

from pathlib import Path


def _read_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("stroll")
    except PackageNotFoundError:
        pass
    try:
        import tomllib
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        with open(pyproject, "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, ValueError):
        return "0+unknown"


VERSION: str = _read_version()

__all__ = ["VERSION"]
