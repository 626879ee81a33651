"""The central sync server: ``create_app(settings)``, storage backends, ``stroll-server``."""
from __future__ import annotations


def create_app(settings, storage=None):
    from .app import create_app as _create
    return _create(settings, storage)


__all__ = ["create_app"]
