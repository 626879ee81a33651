"""The coordinators' console: server-rendered pages under ``/console`` (Jinja2
templates, forms that work without JavaScript, every asset served here), in the app's
languages. ``install(app, storage, settings)`` adds it to the server's app.

- ``accounts.py``: passwords (argon2), sessions, CSRF tokens;
- ``forms.py``: each program record's form, and a posted form read back (pure);
- ``web.py``: a request's session, language and gate (``rules.CONSOLE``), the CSRF
  check, rendering, writing a record as the signed-in member;
- ``doors.py``: sign-in, redeeming an invite, language, sign-out;
- ``pages.py``: the program's pages; ``spreadsheets.py`` members' and merchants' CSV;
- ``followups.py``: the follow-ups board, a case's page, referrals to partner services.
What a page writes goes through the same rules, merge and cursor as a push (phones get
it on their next pull).
"""
from __future__ import annotations

from .pages import install

__all__ = ["install"]
