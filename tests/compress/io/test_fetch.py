"""Images from URLs: a real HTTP server on 127.0.0.1, started by the test.

Normal, slow (timeout), 404, endless body (over the size limit), a body that
is not an image, and a refused connection (a closed port).  Nothing reaches
the internet.
"""

from __future__ import annotations

import http.server
import io
import socket
import threading
import time

import numpy as np
import pytest
from helpers import blobs_image, decode, run_cli, run_json, snapshot
from PIL import Image

SLOW_SECONDS = 20.0  # the slow route waits this long; the CLI is given 0.5 s


@pytest.fixture(scope="module")
def image_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(blobs_image(40, 48)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(image_bytes):
    """``http://127.0.0.1:PORT``, serving the routes below until the module ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/art/painting.png":
                self._send(200, image_bytes, "image/png")
            elif self.path == "/slow.png":
                time.sleep(SLOW_SECONDS)
                self._send(200, image_bytes, "image/png")
            elif self.path == "/page.png":  # a web page where the image should be
                self._send(200, b"<html><body>Not here</body></html>" * 20,
                           "text/html; charset=utf-8")
            elif self.path == "/endless.png":  # no Content-Length, never ends
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"\0" * 65536)
                except OSError:  # the client hung up at its limit
                    pass
            else:
                self._send(404, b"not found", "text/plain")

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _fails(tmp_path, args, *fragments: str) -> str:
    before = snapshot(tmp_path)
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("python -m compress: error: http://127.0.0.1:")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""
    assert snapshot(tmp_path) == before, "a failed download left files"
    return lines[0]


def test_url_writes_beside_the_current_directory(server, tmp_path, image_bytes):
    doc = run_json(f"{server}/art/painting.png", "4", cwd=tmp_path)
    out = tmp_path / "painting-k4.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["painting-k4.png"]
    assert doc["results"][0]["output"] == "painting-k4.png"
    assert doc["input"]["path"] == f"{server}/art/painting.png"
    assert doc["input"]["bytes"] == len(image_bytes)
    pixels = decode(io.BytesIO(image_bytes))
    assert doc["input"]["colors"] == len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert decode(out).shape == (40, 48, 3)


def test_url_404(server, tmp_path):
    _fails(tmp_path, [f"{server}/nothing.png", "4"], "HTTP 404")


def test_url_timeout(server, tmp_path):
    started = time.perf_counter()
    _fails(tmp_path, [f"{server}/slow.png", "4", "--timeout", "0.5"], "0.5 s",
           "--timeout")
    assert time.perf_counter() - started < SLOW_SECONDS / 2  # it did not wait


def test_url_endless_body_stops_at_the_limit(server, tmp_path):
    _fails(tmp_path, [f"{server}/endless.png", "4", "--max-download-mb", "1"],
           "limit of 1 MB", "--max-download-mb")


def test_url_body_that_is_not_an_image(server, tmp_path):
    _fails(tmp_path, [f"{server}/page.png", "4"], "not an image file",
           "text/html")


def test_url_refused_connection(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: now closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = _fails(tmp_path, [f"http://127.0.0.1:{port}/a.png", "4"],
                  "connection refused")
    assert str(port) in line


def test_url_elbow_and_outputs_checked_before_downloading(server, tmp_path,
                                                        image_bytes):
    (tmp_path / "painting-k4.png").write_bytes(b"keep")
    proc = run_cli(f"{server}/art/painting.png", "4", cwd=tmp_path)
    assert proc.returncode == 1 and "already exists" in proc.stderr
    proc = run_cli("elbow", f"{server}/art/painting.png", "--k", "1-5", cwd=tmp_path,
                   check_rc=0)
    assert (tmp_path / "painting-elbow.png").exists()
    local = tmp_path / "local"
    local.mkdir()
    (local / "painting.png").write_bytes(image_bytes)
    from_file = run_cli("elbow", "painting.png", "--k", "1-5", cwd=local, check_rc=0)
    table = [line.split()[:4] for line in proc.stdout.splitlines()[:6]]
    assert table == [line.split()[:4] for line in from_file.stdout.splitlines()[:6]]
