"""Limits at the edge of a real ``stroll-server`` process (``sync/server/edge.py``):
idle and half-sent connections, oversized headers, the connection limit, HTTPS.

One server for the module, with short deadlines set through the environment."""
from __future__ import annotations

import datetime
import ipaddress
import json
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.server.conftest import ServerProcess
from tests import support
from tests.support import wait_until_answers

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
MAX_CONNECTIONS = 40
MAX_HEADER_BYTES = 32 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edge")
    s = ServerProcess(f"sqlite:///{tmp / 'sync.db'}", tmp / "server.log", env={
        "SYNC_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "SYNC_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "SYNC_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "SYNC_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES)}).wait_ready()
    yield s
    s.stop()


def connect(server, first: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    if first:
        s.sendall(first)
    return s


def read_until_closed(s: socket.socket, timeout: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    t0 = time.monotonic()
    s.settimeout(timeout)
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except ConnectionResetError:
        pass
    return out, time.monotonic() - t0


def answer(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def health_within(server, seconds: float) -> requests.Response:
    t0 = time.monotonic()
    r = requests.get(server.url + "/health", timeout=30)
    took = time.monotonic() - t0
    assert took < seconds, f"/health took {took:.2f} s"
    return r


HALF_HEAD = b"GET /health HTTP/1.1\r\nHost: t\r\n"
HALF_BODY = (b"POST /v1/devices HTTP/1.1\r\nHost: t\r\nX-Stroll-Protocol: 1\r\n"
             b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"device_name\"")


# ---- idle connections -----------------------------------------------------------------


def test_health_answers_within_a_second_or_so_with_300_idle_connections_open(server):
    crowd = [connect(server) for _ in range(150)] + \
            [connect(server, HALF_HEAD) for _ in range(150)]
    try:
        time.sleep(0.2)
        for _ in range(3):
            assert health_within(server, 3.0).status_code == 200
    finally:
        for s in crowd:
            s.close()


def test_a_silent_connection_is_closed_after_the_header_timeout_without_an_answer(server):
    raw, took = read_until_closed(connect(server))
    assert raw == b""
    assert HEADER_TIMEOUT - 0.1 <= took < HEADER_TIMEOUT + 2


def test_a_connection_that_sends_half_a_header_gets_408_after_the_header_timeout(server):
    raw, took = read_until_closed(connect(server, HALF_HEAD))
    status, body = answer(raw)
    assert (status, body["error"]["code"]) == (408, "request_timeout")
    assert body["error"]["details"] == {"timeout_seconds": HEADER_TIMEOUT}
    assert HEADER_TIMEOUT - 0.1 <= took < HEADER_TIMEOUT + 2


def test_a_body_that_stops_halfway_gets_408_after_the_body_timeout(server):
    raw, took = read_until_closed(connect(server, HALF_BODY))
    status, body = answer(raw)
    assert (status, body["error"]["code"]) == (408, "request_timeout")
    assert BODY_TIMEOUT - 0.1 <= took < BODY_TIMEOUT + 2


def test_a_kept_alive_connection_serves_requests_one_after_another(server):
    with requests.Session() as http:
        for _ in range(3):
            assert http.get(server.url + "/health", timeout=10).status_code == 200


# ---- headers too large ---------------------------------------------------------------------


def test_a_20_mb_header_is_refused_with_431_before_the_rest_is_sent(server):
    s = connect(server, b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: ")
    sent, chunk = 0, b"x" * 16384
    t0 = time.monotonic()
    while sent < 20_000_000 and not select.select([s], [], [], 0.01)[0]:
        s.sendall(chunk)  # a chunk at a time, watching for the answer
        sent += len(chunk)
    raw, _ = read_until_closed(s)
    status, body = answer(raw)
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    assert sent < 1_000_000, f"the server let {sent} bytes of header in"
    assert time.monotonic() - t0 < 3


def test_a_20_mb_header_sent_at_once_is_cut_off_quickly(server):
    s = connect(server)
    t0 = time.monotonic()
    with pytest.raises(OSError):  # the server closes the connection while it is sent
        s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"x" * 20_000_000
                  + b"\r\n\r\n")
        read_until_closed(s)
        s.sendall(b"x" * 1_000_000)  # only reached if the server waited for it all
    assert time.monotonic() - t0 < 3
    assert health_within(server, 3.0).status_code == 200


def test_a_request_with_more_than_100_headers_gets_431(server):
    many = b"".join(b"X-H%d: 1\r\n" % i for i in range(101))
    raw, _ = read_until_closed(connect(server, HALF_HEAD + many + b"\r\n"))
    status, body = answer(raw)
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    assert body["error"]["details"] == {"max_headers": 100}


# ---- the connection limit -----------------------------------------------------------------


def test_idle_connections_past_the_limit_make_room_for_a_request(server):
    crowd = [connect(server) for _ in range(MAX_CONNECTIONS + 20)]
    try:
        time.sleep(0.2)
        assert health_within(server, 3.0).status_code == 200
    finally:
        for s in crowd:
            s.close()


def test_past_the_limit_of_busy_connections_a_request_gets_503_in_the_error_shape(server):
    busy = [connect(server, HALF_BODY) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        r = health_within(server, 3.0)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.json() == {"error": {
            "code": "unavailable", "message": r.json()["error"]["message"],
            "details": {"max_connections": MAX_CONNECTIONS}}}
    finally:
        for s in busy:
            s.close()
    time.sleep(0.3)
    assert health_within(server, 3.0).status_code == 200


# ---- HTTPS -------------------------------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A key and a certificate for 127.0.0.1, made with the cryptography package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = tmp / "key.pem", tmp / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_ssl_keyfile_and_certfile_make_the_server_speak_https(tmp_path, monkeypatch):
    pytest.importorskip("cryptography")
    key, cert = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests trusts this cert
    tls = support.ServerProcess(f"sqlite:///{tmp_path / 'sync.db'}", tmp_path / "server.log",
                                args=("--ssl-keyfile", str(key), "--ssl-certfile", str(cert)))
    tls.launch()
    try:
        r = wait_until_answers(f"https://127.0.0.1:{tls.port}/health", tls.proc, tls.log_path,
                               30, what="stroll-server over HTTPS")
        assert r.json()["ok"] is True
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{tls.port}/health", timeout=5)
        assert f"https://127.0.0.1:{tls.port}" in tls.log_tail()
    finally:
        tls.kill()  # a clean stop waits for this process's kept-alive TLS connections


def test_a_key_without_its_certificate_is_refused_naming_both_settings(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("not checked before the pair is")
    out = subprocess.run([sys.executable, "-m", "sync.server.cli", "--check",
                          "--database-url", f"sqlite:///{tmp_path / 'x.db'}",
                          "--ssl-keyfile", str(key)],
                         capture_output=True, text=True, timeout=60, cwd=support.ROOT)
    assert out.returncode == 2
    assert "SYNC_SSL_CERTFILE" in out.stderr and "--ssl-certfile" in out.stderr
