"""The coordinators' console: server-rendered pages under ``/console`` (Jinja2
templates, forms that work without JavaScript, every asset served here), in the app's
languages. ``install(app, storage, settings)`` adds it to the server's app.

- ``accounts.py``: passwords (argon2), sessions, CSRF tokens;
- ``forms.py``: each program record's form, and a posted form read back (pure);
- ``pages.py``: the pages: who may open each is ``rules.CONSOLE``, what a page writes
  goes through the same rules, merge and cursor as a push (phones get it on their next
  pull).
"""
from __future__ import annotations

from .pages import install

__all__ = ["install"]
