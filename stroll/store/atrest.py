"""Survivor data encrypted at rest: the sealed values of the device database and its key.

What is sealed (AES-256-GCM, one random 96-bit nonce per value): every ``sensitive``
field of a record (``Record.sensitive_fields()``: survivor name, narrative, injuries
note, contact details, a member's phone, follow-up outcome and notes) in its record
table and in the outbox entries that carry it to the server, and the settings named in
``SECRET_SETTINGS`` (the device's sync token, the address of its member's calendar
feed). A sealed value is stored as text: ``enc1:`` + base64(nonce | ciphertext |
tag); what it seals is one type byte (``s`` a string, ``j`` JSON of anything else) and
the value. The associated data names where the
value belongs (``incident.survivor_name/<id>``, ``setting:sync.token``), so a sealed
value copied onto another record or field does not open. Blank values (``None``,
``""``) are stored as they are: nothing to hide, and a purge leaves them blank.
A database without the marker setting (``MARKER``) is from before: every value in it is
plaintext, and the store seals them all when it opens the file
(``Store._seal_plaintext``) and writes the marker in the same transaction. A string of ``n`` bytes is stored in
``5 + 4 * ceil((n + 29) / 3)`` bytes: about 44 bytes more, plus a third of ``n``
(base64); e.g. 13 bytes of name take 61.

Everything else (times, places, harm types, counts, the outbox's bookkeeping) stays
plaintext so the store can still ask its questions; the file itself is 0600.

The key: 32 random bytes, from a key provider (``load`` / ``create`` / ``where``).
The default, ``KeyFile``, keeps it in a file beside the database (``<db>.key``, mode
0600, made with ``O_EXCL`` so two processes opening a new database never make two
keys), readable by this OS user only: that protects a copied or backed-up database
file, a database sent for recovery, and a file read through another account, not an
attacker who runs code as this user (who can read the key too). On this machine the
app is served to the local browser by a local process that opens the store before any
browser connects, and tests open it with no Flet at all, so a key file is the default.
``flet-secure-storage`` 1.0.5 (a Flet service over flutter_secure_storage 10.3.1,
asynchronous, reachable only through a connected page) gives real secure storage on
the phone platforms (iOS/macOS Keychain, Android Keystore). In the web renderer it
keeps values in the browser's localStorage (or sessionStorage), encrypted with a
WebCrypto key the browser itself keeps for the page's origin: the key would live in
the browser profile, reachable only while a page is connected, which is later than
the store opens. So a packaged phone app would pass a provider backed by secure
storage (``StaticKey`` with the key it read there, or its own provider) and leave the
key file as the default here; stroll does not depend on that package.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stroll.domain import RECORD_TYPES
from stroll.store.errors import KeyMismatch, KeyMissing

PREFIX = "enc1:"
KEY_BYTES = 32
NONCE_BYTES = 12

# Settings stored sealed: name one here and ``get_setting``/``set_setting`` do the rest.
SECRET_SETTINGS = frozenset({"sync.token", "sync.calendar_url"})

# The plaintext setting that says this database's values are sealed, and a sealed
# known value that tells a wrong key at open (not at the first read of a field).
MARKER = "store.at_rest"
_CHECK = "stroll at rest"

# record type -> its sensitive fields (the only fields sealed)
SENSITIVE: dict[str, tuple[str, ...]] = {
    t: c.sensitive_fields() for t, c in RECORD_TYPES.items() if c.sensitive_fields()}


class KeyProvider(Protocol):
    """Where the database key lives. ``where`` says it in words (for error messages)."""

    where: str

    def load(self) -> bytes | None:
        """The key, or None when there is none yet."""

    def create(self) -> bytes:
        """Make a new key, keep it, return it (called only when ``load`` gave None)."""


class KeyFile:
    """The key in a file readable by this OS user only (the default: ``<db>.key``)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.where = f"the key file {self.path}"

    def load(self) -> bytes | None:
        try:
            with open(self.path, "rb") as fh:
                if os.fstat(fh.fileno()).st_mode & 0o077:   # copied looser: tightened
                    try:
                        os.fchmod(fh.fileno(), 0o600)
                    except OSError:  # not ours to change: reading still works
                        pass
                return fh.read()
        except FileNotFoundError:
            return None

    def create(self) -> bytes:
        """32 random bytes, written whole to a new private file and then linked into
        place: a process that opens the database meanwhile finds either no key or the
        whole key, and a key made by another process first wins (``O_EXCL``)."""
        key = os.urandom(KEY_BYTES)
        tmp = self.path.with_name(f"{self.path.name}.{secrets.token_hex(6)}.new")
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.path)       # fails if the key exists: never replaced
        except FileExistsError:
            key = self.load()
        finally:
            os.unlink(tmp)
        _fsync_dir(self.path.parent)
        return key


class StaticKey:
    """A key the caller already holds (e.g. read from the phone's secure storage)."""

    def __init__(self, key: bytes | None, where: str = "the key given to the store"):
        self.key, self.where = key, where

    def load(self) -> bytes | None:
        return self.key

    def create(self) -> bytes:
        self.key = os.urandom(KEY_BYTES)
        return self.key


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def key_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".key")


class Sealer:
    """Seals and opens the stored values of one database with its key."""

    def __init__(self, key: bytes, db_path: Path, where: str):
        self.db_path, self.where = db_path, where
        if len(key) != KEY_BYTES:
            raise KeyMismatch(db_path, f"{where} (it holds {len(key)} bytes, not "
                                       f"{KEY_BYTES}: damaged)")
        self._aead = AESGCM(key)

    # ---- one value -----------------------------------------------------------------

    def seal(self, value: Any, where: str) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, str):
            plain = b"s" + value.encode("utf-8")
        else:
            plain = b"j" + json.dumps(value, ensure_ascii=False).encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain, where.encode("utf-8"))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, value: Any, where: str) -> Any:
        if not (isinstance(value, str) and value.startswith(PREFIX)):
            return value  # blank, or plaintext from before (sealed when the file opens)
        try:
            raw = base64.b64decode(value[len(PREFIX):])
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                       where.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise KeyMismatch(self.db_path, self.where) from None
        if plain[:1] == b"s":
            return plain[1:].decode("utf-8")
        return json.loads(plain[1:])

    # ---- a record's fields (a stored row, or an outbox entry's data) ----------------

    def seal_fields(self, rtype: str, rid: str, data: dict) -> dict:
        """``data`` (plaintext values) with its sensitive fields sealed: a copy when any
        is, else ``data`` itself."""
        names = SENSITIVE.get(rtype)
        if not names:
            return data
        out = None
        for name in names:
            v = data.get(name)
            if v is None or v == "":
                continue
            if out is None:
                out = dict(data)
            out[name] = self.seal(v, f"{rtype}.{name}/{rid}")
        return data if out is None else out

    def open_fields(self, rtype: str, rid: str, data: dict) -> dict:
        """Open the sensitive fields of ``data`` in place; returns it."""
        for name in SENSITIVE.get(rtype, ()):
            v = data.get(name)
            if isinstance(v, str) and v.startswith(PREFIX):
                data[name] = self.open(v, f"{rtype}.{name}/{rid}")
        return data

    # ---- settings (their JSON text) --------------------------------------------------

    def seal_setting(self, key: str, text: str) -> str:
        if key not in SECRET_SETTINGS or text == "null":
            return text
        return self.seal(text, f"setting:{key}")

    def open_setting(self, key: str, text: str) -> str:
        return self.open(text, f"setting:{key}")

    # ---- the marker ----------------------------------------------------------------

    def marker(self) -> str:
        return json.dumps({"version": 1, "check": self.seal(_CHECK, f"setting:{MARKER}")})

    def check_marker(self, text: str) -> None:
        """Raise ``KeyMismatch`` unless this key opens the marker's check value."""
        try:
            check = json.loads(text)["check"]
        except (ValueError, KeyError, TypeError):
            raise KeyMismatch(self.db_path, f"{self.where} (the database's check value "
                                            "is unreadable)") from None
        if self.open(check, f"setting:{MARKER}") != _CHECK:
            raise KeyMismatch(self.db_path, self.where)


def open_sealer(keys: KeyProvider, db_path: Path, marker: str | None) -> Sealer:
    """The sealer for a database whose marker setting is ``marker`` (None: no value was
    ever sealed in it, so a missing key is made; else a missing or wrong key is an
    error and nothing is written)."""
    key = keys.load()
    if key is None:
        if marker is not None:
            raise KeyMissing(db_path, keys.where)
        key = keys.create()
    sealer = Sealer(key, db_path, keys.where)
    if marker is not None:
        sealer.check_marker(marker)
    return sealer


__all__ = ["KeyFile", "KeyProvider", "StaticKey", "Sealer", "SECRET_SETTINGS",
           "SENSITIVE", "PREFIX", "MARKER", "key_path", "open_sealer"]
