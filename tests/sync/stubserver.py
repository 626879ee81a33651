"""A tiny scripted HTTP server on loopback for client and engine unit tests (no real
sync server), and the helpers those tests share."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

from stroll.domain import CheckIn, now_iso
from tests.support import free_port  # noqa: F401 - the sync tests import it from here


class Stub:
    """``routes[(method, path)]`` is ``(status, body, headers)`` or a callable
    ``(handler_request_dict) -> (status, body, headers)``. Every request is logged."""

    def __init__(self):
        self.routes: dict[tuple[str, str], object] = {}
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _do(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                path = self.path.split("?", 1)[0]
                req = {"method": self.command, "path": path, "full_path": self.path,
                       "headers": dict(self.headers), "body": json.loads(raw) if raw else None,
                       "t": time.monotonic()}
                with stub.lock:
                    stub.requests.append(req)
                    route = stub.routes.get((self.command, path))
                if route is None:
                    route = (404, {"error": {"code": "not_found", "message": "no such path",
                                             "details": {}}}, {})
                if callable(route):
                    route = route(req)
                status, body, headers = route
                if body == "HANG":
                    time.sleep(3)
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def set(self, method: str, path: str, route) -> None:
        with self.lock:
            self.routes[(method, path)] = route

    def count(self, method: str, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["method"] == method and r["path"] == path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def error(status: int, code: str, message: str, details: dict | None = None, headers=None):
    return (status, {"error": {"code": code, "message": message, "details": details or {}}},
            headers or {})


class MiniSync:
    """An in-memory stand-in for the sync protocol, enough for engine unit tests:
    push with seq rules (duplicate / gap / rejected), pull by cursor, enrollment."""

    def __init__(self, stub: Stub, reject: Callable[[dict], str | None] | None = None):
        self.stub = stub
        self.reject = reject or (lambda e: None)
        self.last_seq: dict[str, int] = {}
        self.changes: list[dict] = []
        self.records: dict[tuple[str, str], dict] = {}
        self.devices = 0
        stub.set("POST", "/v1/devices", self._enroll)
        stub.set("POST", "/v1/sync/push", self._push)
        stub.set("GET", "/v1/sync/pull", self._pull)
        stub.set("GET", "/health", (200, {"ok": True}, {}))

    def _enroll(self, req):
        code = req["body"]["invite_code"]
        if code == "USED":
            return error(403, "invite_invalid", "this invite code was already used")
        self.devices += 1
        member = "m-other" if code == "OTHER-MEMBER" else "m-1"
        return 201, {"device_id": f"dev-{self.devices}", "token": f"tok-{self.devices}",
                     "role": "ambassador", "member_id": member, "member_name": "Tuan",
                     "expires_at": "2026-12-30T00:00:00+00:00"}, {}

    def _push(self, req):
        body = req["body"]
        dev = body["device_id"]
        last = self.last_seq.get(dev, 0)
        results = []
        for e in body["entries"]:
            if e["seq"] <= last:
                results.append({"seq": e["seq"], "status": "duplicate"})
                continue
            if e["seq"] != last + 1:
                return error(409, "sequence_gap", f"expected {last + 1}", {"expected": last + 1})
            last = e["seq"]
            why = self.reject(e)
            if why:
                results.append({"seq": e["seq"], "status": "rejected",
                                "error": {"code": "invalid_record", "message": why}})
                continue
            key = (e["type"], e["id"])
            if e["op"] == "delete":
                self.records.pop(key, None)
                self.changes.append({"cursor": len(self.changes) + 1, "type": e["type"],
                                     "id": e["id"], "op": "delete", "data": {"id": e["id"]}})
            else:
                rec = {**self.records.get(key, {}), **e["data"]}
                self.records[key] = rec
                self.changes.append({"cursor": len(self.changes) + 1, "type": e["type"],
                                     "id": e["id"], "op": "upsert", "data": rec})
            results.append({"seq": e["seq"], "status": "applied"})
        self.last_seq[dev] = last
        return 200, {"acked_through": last, "results": results, "server_time": "now"}, {}

    def _pull(self, req):
        from urllib.parse import parse_qs, urlsplit
        q = parse_qs(urlsplit(req["full_path"]).query)
        after, limit = int(q["after"][0]), int(q["limit"][0])
        page = [c for c in self.changes if c["cursor"] > after][:limit]
        nxt = page[-1]["cursor"] if page else after
        return 200, {"changes": page, "next_cursor": nxt,
                     "has_more": any(c["cursor"] > nxt for c in self.changes)}, {}


@pytest.fixture
def stub():
    """A scripted server for one test (import this fixture into the test module)."""
    s = Stub()
    yield s
    s.close()




def checkin(i=0) -> CheckIn:
    return CheckIn(merchant_id=f"m-{i}", at=now_iso(), note=f"visit {i}")


def wait_for(cond, timeout=10.0, step=0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()
