"""Devices for the benches: each signs in with an invite made on the server's database,
as ``stroll-server admin create`` makes one. A server from a checkout before invites
(``--server-repo`` of an older commit, to measure a change against it in the same run)
enrolls devices the way it did then: a role, and its shared coordinator key."""
from __future__ import annotations

import uuid
from datetime import timedelta

import requests

from sync import protocol as p

APP_VERSION = "bench"
LEGACY_KEY = "bench-" + uuid.uuid4().hex


class Enroller:
    """``enroll(http, role) -> (device_id, headers)`` for a server at ``base`` on the
    database ``database_url``; ``legacy``: the server predates invites."""

    def __init__(self, base: str, database_url: str, legacy: bool = False):
        self.base = base
        self.database_url = database_url
        self.legacy = legacy
        self._storage = None

    @staticmethod
    def server_env(legacy: bool) -> dict[str, str]:
        """What the server process needs in its environment to enroll coordinators."""
        return {"SYNC_COORDINATOR_KEY": LEGACY_KEY} if legacy else {}

    def invite(self, role: str) -> str:
        """A new member of ``role`` and their invite code (this checkout's server)."""
        from sync.server import members
        from sync.server.rules import SERVER
        from sync.server.storage import open_storage
        if self._storage is None:
            self._storage = open_storage(self.database_url, pool_size=1)
        _, invite = members.create_member(self._storage, SERVER,
                                          {"name": f"bench {role}", "role": role},
                                          timedelta(hours=2))
        return invite.code

    def enroll(self, http: requests.Session, role: str = "volunteer") -> tuple[str, dict]:
        h = p.request_headers(APP_VERSION)
        if self.legacy:
            if role in ("coordinator", "admin"):
                h["X-Stroll-Enroll-Key"] = LEGACY_KEY
            body = {"device_name": "bench", "role": "coordinator" if role == "admin" else role}
        else:
            body = {"device_name": "bench", "invite_code": self.invite(role)}
        r = http.post(self.base + "/v1/devices", json=body, headers=h, timeout=30)
        r.raise_for_status()
        answer = r.json()
        return answer["device_id"], p.request_headers(APP_VERSION, answer["token"])

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()
            self._storage = None
