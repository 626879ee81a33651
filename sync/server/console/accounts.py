"""Who is signed in to the console: passwords, sessions, CSRF tokens, sign-in limits.

A member gets a console sign-in by redeeming an invite in the console (choosing a
sign-in name and a password); the password is kept only as an argon2id hash
(argon2-cffi). A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure
over TLS), kept by the server only as its SHA-256 hash, ending after
``SYNC_CONSOLE_SESSION_HOURS`` without use or at sign-out; revoking the member ends it.
Every form carries a CSRF token: the session's own, or before sign-in a random value
also held in a cookie (double submit). Whether the member may open a page is
``rules.may_open_console``, with the member's role as it stands now.
"""
from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..members import hash_secret, iso
from ..rules import Actor
from ..storage import ConsoleSession, Storage

SESSION_COOKIE = "stroll_console"
FORM_COOKIE = "stroll_console_form"   # the CSRF value of the forms shown before sign-in
LANG_COOKIE = "stroll_console_lang"
PASSWORD_MIN = 10
PASSWORD_MAX = 256
LOGIN_MIN, LOGIN_MAX = 3, 40

_hasher = PasswordHasher()  # argon2id, the library's recommended parameters
# a hash to verify against when the sign-in name is unknown, so that answer takes as
# long as a wrong password (the time does not tell which names exist)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def normalize_login(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


def login_problem(login: str) -> str | None:
    """The catalog key of what is wrong with a sign-in name, or None."""
    if not (LOGIN_MIN <= len(login) <= LOGIN_MAX):
        return "console.error.login_length"
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in login):
        return "console.error.login_chars"
    return None


def password_problem(password: str, login: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return "console.error.password_short"
    if len(password) > PASSWORD_MAX:
        return "console.error.password_long"
    if normalize_login(password) == login:
        return "console.error.password_is_login"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(store: Storage, login: str, password: str) -> str | None:
    """The member id when ``password`` is the password of ``login``, else None (the
    same work is done for an unknown name). A hash made with older parameters is
    made again."""
    account = store.console_account(login=login) if login else None
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        store.set_console_password_hash(account.member_id, _hasher.hash(password))
    return account.member_id


@dataclass
class Signed:
    """A request's signed-in member: their actor (role as it stands now), session."""
    actor: Actor
    name: str
    session: ConsoleSession
    token_hash: str

    @property
    def lang(self) -> str:
        return self.session.lang

    @property
    def csrf(self) -> str:
        return self.session.csrf


def start_session(store: Storage, member_id: str, hours: float,
                  now: datetime | None = None) -> str:
    """A new session for ``member_id``: the cookie's token (the server keeps its hash)."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    store.create_console_session(token_hash=hash_secret(token), member_id=member_id,
                                 csrf=secrets.token_urlsafe(32), created_at=iso(now),
                                 expires_at=iso(now + timedelta(hours=hours)))
    return token


def session_of(store: Storage, token: str | None, hours: float,
               now: datetime | None = None) -> Signed | None:
    """The signed-in member of a session cookie, or None (no cookie, unknown,
    expired, or the member removed). A session in use is extended."""
    if not token or len(token) > 128:
        return None
    token_hash = hash_secret(token)
    session = store.console_session(token_hash)
    if session is None:
        return None
    now = now or datetime.now(timezone.utc)
    expires = datetime.fromisoformat(session.expires_at)
    if expires <= now:
        store.drop_console_session(token_hash)
        return None
    member = store.member_record(session.member_id)
    if member is None:
        return None
    if expires - now < timedelta(hours=hours) / 2:
        store.extend_console_session(token_hash, iso(now + timedelta(hours=hours)))
    return Signed(Actor(session.member_id, member.get("role") or "volunteer"),
                  member.get("name") or session.login, session, token_hash)


def same_token(expected: str | None, given: str | None) -> bool:
    """Whether a form's CSRF token is the one expected (constant time)."""
    return bool(expected) and bool(given) and hmac.compare_digest(
        expected.encode(), given.encode())


def new_form_token() -> str:
    return secrets.token_urlsafe(24)
