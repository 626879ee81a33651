"""A small fault-injecting HTTP/1.1 proxy for sync tests (loopback only, bounded).

It sits between a device's SyncClient and a real server process and understands just
enough HTTP framing (Content-Length or chunked bodies, keep-alive) to act per request:

- ``pass``: forward the request, return the answer;
- ``cut_request``: forward half the request to the server, then drop both connections
  (the server never sees a whole request);
- ``drop_response``: forward the whole request, wait for the server's whole answer
  (so it has committed), then drop the device's connection without a byte of it;
- ``cut_response``: as above but send half the answer first;
- ``delay:<seconds>``: wait, then forward;
- ``duplicate``: send the request to the server twice, return the second answer;
- ``kill[:<seconds>]``: forward the whole request, then after a moment call
  ``on_kill()`` (the test SIGKILLs the server mid-batch), and drop the device's
  connection.

Faults are queued per request line prefix with ``fault(prefix, action, times)``; a
global ``mode`` of ``offline`` resets every connection at once (like no network) and
``blackhole`` accepts and never answers. Every request that passes through is kept
in ``log`` and its raw bytes in ``captured`` (bounded) so a test can ``replay`` an old
request later: a duplicated, delayed, out-of-order packet.
"""
from __future__ import annotations

import collections
import socket
import struct
import threading
import time
from typing import Callable

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_CONNECTIONS = 64
IO_TIMEOUT = 60.0


class ProxyClosed(Exception):
    pass


def _recv_until(sock: socket.socket, buf: bytearray, marker: bytes, limit: int) -> int:
    while True:
        i = buf.find(marker)
        if i >= 0:
            return i
        if len(buf) > limit:
            raise ProxyClosed("head too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise ProxyClosed("peer closed")
        buf += chunk


def _recv_exact(sock: socket.socket, buf: bytearray, n: int) -> None:
    while len(buf) < n:
        chunk = sock.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            raise ProxyClosed("peer closed mid-body")
        buf += chunk


def read_message(sock: socket.socket, buf: bytearray, *, response: bool = False,
                 head_only_body: bool = False) -> bytes:
    """Read one whole HTTP message from ``sock`` (``buf`` holds bytes already read and
    keeps what follows). Returns its raw bytes."""
    end = _recv_until(sock, buf, b"\r\n\r\n", MAX_HEAD) + 4
    head = bytes(buf[:end]).decode("latin-1")
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if response:
        status = int(lines[0].split()[1])
        if head_only_body or status in (204, 304) or 100 <= status < 200:
            msg = bytes(buf[:end])
            del buf[:end]
            return msg
    if headers.get("transfer-encoding", "").lower() == "chunked":
        pos = end
        while True:
            nl = _recv_until_from(sock, buf, pos)
            size = int(bytes(buf[pos:nl]).split(b";")[0], 16)
            pos = nl + 2
            if size == 0:
                # trailers end with an empty line
                while True:
                    nl = _recv_until_from(sock, buf, pos)
                    line_empty = nl == pos
                    pos = nl + 2
                    if line_empty:
                        break
                break
            _recv_exact(sock, buf, pos + size + 2)
            pos += size + 2
            if pos > MAX_BODY:
                raise ProxyClosed("body too large")
        msg = bytes(buf[:pos])
        del buf[:pos]
        return msg
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise ProxyClosed("body too large")
    if response and "content-length" not in headers:
        # until close
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
        msg = bytes(buf)
        del buf[:]
        return msg
    _recv_exact(sock, buf, end + length)
    msg = bytes(buf[:end + length])
    del buf[:end + length]
    return msg


def _recv_until_from(sock: socket.socket, buf: bytearray, pos: int) -> int:
    while True:
        i = buf.find(b"\r\n", pos)
        if i >= 0:
            return i
        chunk = sock.recv(65536)
        if not chunk:
            raise ProxyClosed("peer closed mid-chunk")
        buf += chunk


def _abort(sock: socket.socket) -> None:
    """Wake the thread that owns ``sock`` and fail its I/O; that thread closes it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(sock: socket.socket | None) -> None:
    """Close with RST (like a dropped network path), not a polite FIN."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1",
                 on_kill: Callable[[], None] | None = None, keep: int = 200):
        self.upstream = (upstream_host, upstream_port)
        self.on_kill = on_kill
        self.mode = "pass"  # pass | offline | blackhole
        self._faults: list[list] = []  # [prefix, action, times_left]
        self._lock = threading.Lock()
        self.log: collections.deque = collections.deque(maxlen=10_000)  # (request line, action)
        self.captured: collections.deque = collections.deque(maxlen=keep)  # (line, raw bytes)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._conns: set[socket.socket] = set()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- control ---------------------------------------------------------------------

    def fault(self, prefix: str, action: str, times: int = 1) -> None:
        """Apply ``action`` to the next ``times`` requests whose request line starts
        with ``prefix`` (e.g. ``"POST /v1/sync/push"``)."""
        with self._lock:
            self._faults.append([prefix, action, times])

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
        self.mode = "pass"

    def set_mode(self, mode: str) -> None:
        assert mode in ("pass", "offline", "blackhole")
        self.mode = mode
        if mode != "pass":
            self.drop_all()

    def drop_all(self) -> None:
        """Cut every open connection. Only ``shutdown`` here: closing a socket another
        thread is blocked on would free its fd number for reuse while that thread's
        recv still reads from it (and steals a new connection's bytes)."""
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            _abort(c)

    def count(self, prefix: str) -> int:
        return sum(1 for line, _ in list(self.log) if line.startswith(prefix))

    def _take_action(self, line: str) -> str:
        with self._lock:
            for f in self._faults:
                if line.startswith(f[0]) and f[2] > 0:
                    f[2] -= 1
                    action = f[1]
                    self._faults = [x for x in self._faults if x[2] > 0]
                    return action
        return "pass"

    def replay(self, raw: bytes, timeout: float = 30.0) -> bytes:
        """Send raw request bytes straight to the server; return its raw answer."""
        with socket.create_connection(self.upstream, timeout=timeout) as up:
            up.sendall(raw)
            buf = bytearray()
            return read_message(up, buf, response=True)

    def close(self) -> None:
        self._closed.set()
        try:  # wake the accept() so the accept thread sees the flag
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self._thread.join(5)
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop_all()
        self._thread.join(5)

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- the work --------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._closed.is_set():
                _reset(conn)
                return
            if self.mode == "offline":
                _reset(conn)
                continue
            if not self._slots.acquire(timeout=5):
                _reset(conn)
                continue
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="faultproxy-conn").start()

    def _serve(self, down: socket.socket) -> None:
        up: socket.socket | None = None
        try:
            down.settimeout(IO_TIMEOUT)
            dbuf = bytearray()
            ubuf = bytearray()
            while not self._closed.is_set():
                if self.mode == "blackhole":
                    time.sleep(0.05)
                    continue
                try:
                    req = read_message(down, dbuf)
                except (ProxyClosed, OSError):
                    return
                line = req.split(b"\r\n", 1)[0].decode("latin-1")
                if self.mode == "offline":
                    return
                action = self._take_action(line)
                self.log.append((line, action))
                self.captured.append((line, req))
                if action.startswith("delay:"):
                    time.sleep(float(action.split(":", 1)[1]))
                    action = "pass"
                if up is None:
                    try:
                        up = socket.create_connection(self.upstream, timeout=IO_TIMEOUT)
                    except OSError:
                        return  # server down: the device sees its connection drop
                    with self._lock:
                        self._conns.add(up)
                if action == "cut_request":
                    up.sendall(req[: max(1, len(req) // 2)])
                    time.sleep(0.05)
                    return
                head_only = line.startswith("HEAD ")
                try:
                    up.sendall(req)
                    if action.startswith("kill"):
                        time.sleep(float(action.split(":", 1)[1]) if ":" in action else 0.002)
                        if self.on_kill:
                            self.on_kill()
                        return
                    resp = read_message(up, ubuf, response=True, head_only_body=head_only)
                    if action == "duplicate":
                        up.sendall(req)
                        resp = read_message(up, ubuf, response=True, head_only_body=head_only)
                except (ProxyClosed, OSError):
                    return
                if action == "drop_response":
                    return
                if action == "cut_response":
                    down.sendall(resp[: len(resp) // 2])
                    return
                down.sendall(resp)
                if b"\r\nconnection: close" in resp[:4096].lower():
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(down)
                if up is not None:
                    self._conns.discard(up)
            _reset(down)
            _reset(up)
            self._slots.release()
