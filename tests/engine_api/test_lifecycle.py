"""The life of a local engine process: it exits on its own when idle, and on SIGTERM it lets a
request in flight finish, refuses new ones, removes its socket and exits 0."""

from __future__ import annotations

import json
import signal
import socket

from tests.engine_api.conftest import poll, ready, short_dir, start


def test_idle_exit_removes_the_socket_and_exits_0() -> None:
    home = short_dir()
    served = start(home, "--socket", str(home / "e.sock"), "--idle-exit", "1", "--no-model")
    assert served.socket is not None and served.socket.exists()
    code = poll(lambda: served.process.poll() is not None, 30, "idle exit") and served.process.returncode
    assert code == 0
    assert not served.socket.exists()
    assert "idle for" in (home / "serve.log").read_text()


def test_sigterm_lets_the_request_in_flight_finish() -> None:
    home = short_dir()
    served = start(home, "--socket", str(home / "e.sock"), "--idle-exit", "0", "--no-model")
    try:
        ready(served, "disabled")
        assert served.socket is not None
        body = json.dumps({"kind": "dismiss", "rule_id": "python.x", "fingerprint": "f00d"}).encode()
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(30)
        raw.connect(str(served.socket))
        # the headers and half the body: the request is in flight, waiting for the rest
        raw.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: engine\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        with served.client() as http:
            poll(lambda: http.get("/v1/status").json()["server"]["in_flight"] == 2, 30, "request in flight")
        served.process.send_signal(signal.SIGTERM)
        poll(lambda: not served.socket.exists(), 30, "socket removed")  # the drain has begun
        raw.sendall(body[10:])
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
        raw.close()
        assert answer.startswith(b"HTTP/1.1 201"), answer
        assert b'"recorded":true' in answer
        assert served.process.wait(30) == 0
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(10)
    assert "shutting down (SIGTERM)" in (home / "serve.log").read_text()
