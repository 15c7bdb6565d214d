"""The studio's security rules against a running server: token on every request, Host check,
no file outside the work folder in any encoding, upload limits and audio check, JSON 4xx
errors (never a traceback), and a server that survives clients going away."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from conftest import MAX_UPLOAD_MB, multipart, tone_wav

SECRET = b"TOP SECRET, not for the studio"


def raw(studio, data: bytes, *, read: bool = True, timeout: float = 20.0) -> bytes:
    """Send raw bytes to the server; return what it answers (until it closes)."""
    with socket.create_connection((studio.host, studio.port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def assert_json_error(reply, status):
    assert reply.status == status, (reply.status, reply.body[:300])
    assert "error" in reply.json()
    assert b"Traceback" not in reply.body and b"File \"" not in reply.body


def still_serving(studio):
    assert studio.get("/api/tracks").status == 200


def scratch_clean(studio, prefix="upload", timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while any(e.startswith(prefix) for e in studio.scratch_entries()):
        assert time.monotonic() < deadline, studio.scratch_entries()
        time.sleep(0.05)


# ------------------------------------------------------------------ token


def endpoints(song_id):
    t = f"/api/tracks/{song_id}"
    return [("GET", "/api/session"), ("GET", "/api/tracks"), ("POST", "/api/tracks"), ("GET", t),
            ("DELETE", t), ("GET", t + "/analysis"), ("GET", t + "/timeline"), ("GET", t + "/advice"),
            ("GET", t + "/audio"), ("GET", t + "/download"), ("POST", t + "/master"), ("POST", t + "/shape"),
            ("GET", "/api/jobs"), ("GET", "/api/jobs/0123456789abcdef"), ("POST", "/api/jobs/0123456789abcdef/cancel"),
            ("POST", "/api/demo"), ("GET", "/api/stems"), ("POST", "/api/stems"), ("GET", "/api/nothing-here"),
            ("GET", "/static/studio.js"), ("GET", "/static/plotly.min.js")]  # fmt: skip


@pytest.mark.parametrize("credentials", [None, "Bearer wrong-token", "Bearer ", "Basic abc", "token"])
def test_every_request_without_the_token_is_401(studio, song_id, credentials):
    headers = {} if credentials is None else {"Authorization": credentials}
    for method, path in endpoints(song_id):
        reply = studio.request(method, path, auth=False, headers=headers, body=b"{}" if method == "POST" else None)
        assert reply.status == 401, (method, path, reply.status)
        if path.startswith("/api"):
            assert_json_error(reply, 401)
    assert studio.get(f"/api/tracks/{song_id}").status == 200  # nothing was deleted


def test_the_wrong_cookie_is_401(studio, song_id):
    reply = studio.get("/api/tracks", auth=False, headers={"Cookie": f"mezzo_studio_{studio.port}=nope"})
    assert_json_error(reply, 401)


def test_the_bearer_token_is_case_insensitive_in_its_scheme(studio):
    assert studio.get("/api/tracks", auth=False, headers={"Authorization": f"bearer {studio.token}"}).status == 200


def test_the_page_sets_a_strict_cookie_from_the_token_in_the_url(studio):
    denied = studio.get("/", auth=False)
    assert denied.status == 401 and b"studio.js" not in denied.body and b"token" in denied.body
    assert studio.get("/?token=wrong", auth=False).status == 401
    opened = studio.get(f"/?token={studio.token}", auth=False)
    assert opened.status == 303 and opened.headers["location"] == "/"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"mezzo_studio_{studio.port}={studio.token};")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    jar = {"Cookie": f"mezzo_studio_{studio.port}={studio.token}"}
    page = studio.get("/", auth=False, headers=jar)
    assert page.status == 200 and b'data-testid="loudness-chart"' in page.body
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert studio.get("/api/tracks", auth=False, headers=jar).status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "192.168.1.2"])
def test_requests_for_another_host_name_are_refused(studio, host):
    reply = studio.get("/api/tracks", headers={"Host": host})
    assert_json_error(reply, 400)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_host_names_are_served(studio, host):
    assert studio.get("/api/tracks", headers={"Host": f"{host}:{studio.port}"}).status == 200


# ------------------------------------------------------------------ files only from the work folder


TRAVERSALS = [
    "/api/tracks/../../../../etc/passwd",
    "/api/tracks/../../../../etc/passwd/audio",
    "/api/tracks/..%2F..%2F..%2F..%2Fetc%2Fpasswd/audio",
    "/api/tracks/%2e%2e/audio",
    "/api/tracks/%2e%2e%2f%2e%2e%2fetc%2fpasswd/download",
    "/api/tracks/%252e%252e%252fetc%252fpasswd/audio",
    "/api/tracks/%2Fetc%2Fpasswd/download",
    "/api/tracks//etc/passwd/audio",
    "/api/tracks/..%5c..%5cetc%5cpasswd/audio",
    "/api/tracks/%c0%ae%c0%ae%c0%afetc%c0%afpasswd/audio",
    "/api/tracks/0123456789abcdef%00/audio",
    "/api/tracks/0123456789abcdef/audio/../../../../etc/passwd",
    "/api/stems/..%2F..%2Fetc",
    "/api/jobs/../tracks",
    "/static/../app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2fstorage.py",
    "/static/..%5capp.py",
    "/static/studio.js%00.py",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/index.html/..%2f..%2f__init__.py",
    "//etc/passwd",
    "/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_reaches_outside_the_work_folder(studio, path):
    reply = studio.get(path)
    assert 400 <= reply.status < 500, (path, reply.status)
    assert_json_error(reply, reply.status)
    assert b"root:" not in reply.body and b"import " not in reply.body


def test_a_path_traversal_inside_an_id_is_404_even_for_a_real_track(studio, song_id):
    for path in (f"/api/tracks/{song_id}%2f..%2f..%2f..%2fetc%2fpasswd/audio",
                 f"/api/tracks/{song_id}/..%2f{song_id}/audio", f"/api/tracks/{song_id.upper()}/audio"):  # fmt: skip
        assert_json_error(studio.get(path), 404)


def test_symlinks_out_of_the_work_folder_are_never_followed(studio, tmp_path):
    track = studio.upload("/api/tracks", [("linked.wav", tone_wav())]).json()["tracks"][0]
    assert studio.get(f"/api/tracks/{track['id']}/analysis").status == 200
    secret = tmp_path / "secret.wav"
    secret.write_bytes(SECRET)
    folder = studio.work / "tracks" / track["id"]
    for name in ("audio.wav", "analysis.json"):
        (folder / name).unlink()
        (folder / name).symlink_to(secret)
    for what in ("audio", "download", "analysis"):
        reply = studio.get(f"/api/tracks/{track['id']}/{what}")
        assert SECRET not in reply.body
        assert_json_error(reply, 404)


# ------------------------------------------------------------------ uploads


def test_an_upload_over_the_limit_is_refused_before_it_is_read(studio):
    answer = raw(studio, (f"POST /api/tracks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {studio.token}\r\n"
                          "Connection: close\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                          f"Content-Length: {(MAX_UPLOAD_MB + 1) * 1_000_000}\r\n\r\n").encode())  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413") and b'"error"' in answer
    still_serving(studio)
    scratch_clean(studio)


def test_a_chunked_upload_is_counted_and_stopped_at_the_limit(studio):
    body, content_type = multipart([("big.wav", b"\0" * ((MAX_UPLOAD_MB + 1) * 1_000_000))])
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536]) for i in range(0, len(body), 65536))
    answer = raw(studio, (f"POST /api/tracks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {studio.token}\r\n"
                          f"Connection: close\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
                 + chunks + b"0\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    still_serving(studio)
    scratch_clean(studio)


@pytest.mark.parametrize(("name", "data"), [
    ("song.wav", b"just some text, not audio\n" * 100),
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("empty.wav", b""),
    ("truncated.wav", tone_wav()[:5000]),
])  # fmt: skip
def test_uploads_that_are_not_audio_are_refused_and_not_kept(studio, name, data):
    before = studio.tracks()
    reply = studio.upload("/api/tracks", [(name, data)])
    assert_json_error(reply, 415)
    assert name in reply.json()["error"] and str(studio.work) not in reply.json()["error"]
    assert studio.tracks() == before
    scratch_clean(studio)


def test_uploads_need_multipart_and_a_file(studio):
    assert_json_error(studio.request("POST", "/api/tracks", body=b"RIFF....", headers={"Content-Type": "audio/wav"}), 415)
    body, content_type = multipart([])
    assert_json_error(studio.request("POST", "/api/tracks", body=body, headers={"Content-Type": content_type}), 400)


# ------------------------------------------------------------------ malformed requests


@pytest.mark.parametrize(("body", "needle"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"preset": 3}', "preset"),
    (b'{"preset": "loud"}', "preset"),
    (b'{"target_lufs": "x"}', "target_lufs"),
    (b'{"target_lufs": 5}', "target_lufs"),
    (b'{"target_lufs": -5, "ceiling_dbtp": -10}', "above ceiling_dbtp"),
    (b'{"ceiling_dbtp": 3}', "ceiling_dbtp"),
    (b'{"glue": "yes"}', "glue"),
    (b'{"bogus": 1}', "unknown field 'bogus'"),
    (b'{"target_lufs": NaN}', "target_lufs"),
    (b"\xff\xfe", "not valid JSON"),
])  # fmt: skip
def test_bad_master_requests_are_400_with_a_message(studio, song_id, body, needle):
    before = len(studio.get("/api/jobs").json()["jobs"])
    reply = studio.request("POST", f"/api/tracks/{song_id}/master", body=body, headers={"Content-Type": "application/json"})
    assert_json_error(reply, 400)
    assert needle in reply.json()["error"]
    assert len(studio.get("/api/jobs").json()["jobs"]) == before  # nothing was queued


@pytest.mark.parametrize(("payload", "needle"), [
    ({"kind": "marks", "marks": "0:zz"}, "zz"),
    ({"kind": "marks", "marks": ""}, "empty"),
    ({"kind": "marks", "marks": "1|1:p"}, "bpm"),
    ({"kind": "compressor", "preset": "huge"}, "preset"),
    ({"kind": "leveler", "target_lufs": 10}, "target_lufs"),
    ({"kind": "reverb"}, "kind"),
    ({}, "kind"),
])  # fmt: skip
def test_bad_shape_requests_are_400_with_a_message(studio, song_id, payload, needle):
    reply = studio.post_json(f"/api/tracks/{song_id}/shape", payload)
    assert_json_error(reply, 400)
    assert needle in reply.json()["error"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/nothing", 404),
    ("GET", "/api/tracks/0123456789abcdef", 404),
    ("GET", "/api/tracks/0123456789abcdef/analysis", 404),
    ("POST", "/api/tracks/0123456789abcdef/master", 404),
    ("GET", "/api/jobs/0123456789abcdef", 404),
    ("GET", "/api/stems/0123456789abcdef", 404),
    ("DELETE", "/api/session", 405),
    ("GET", "/api/tracks/{song}/master", 405),
    ("PUT", "/api/tracks", 405),
    ("GET", "/api/tracks/{song}/analysis?wait=abc", 400),
    ("GET", "/api/tracks/{song}/analysis?wait=99999", 400),
    ("GET", "/api/tracks/{song}/advice?preset=%00", 400),
    ("GET", "/static/nothing.js", 404),
])  # fmt: skip
def test_errors_are_json(studio, song_id, method, path, status):
    assert_json_error(studio.request(method, path.replace("{song}", song_id)), status)


def test_a_huge_json_body_is_refused_without_reading_it_all(studio, song_id):
    huge = b'{"preset": "' + b"x" * 2_000_000 + b'"}'
    reply = studio.request("POST", f"/api/tracks/{song_id}/master", body=huge, headers={"Content-Type": "application/json"})
    assert_json_error(reply, 400)
    assert "larger than 64 kB" in reply.json()["error"]
    chunked = raw(studio, (f"POST /api/tracks/{song_id}/shape HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Authorization: Bearer {studio.token}\r\nConnection: close\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n").encode()
                  + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n")  # fmt: skip
    assert chunked.startswith(b"HTTP/1.1 400") and b"larger than 64 kB" in chunked
    still_serving(studio)


def test_websockets_are_refused(studio):
    answer = raw(studio, (b"GET /api/tracks HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))  # fmt: skip
    assert not answer.startswith(b"HTTP/1.1 101")
    still_serving(studio)


def test_a_garbled_request_line_gets_400_and_the_server_goes_on(studio):
    answer = raw(studio, b"GARBAGE \x00\x01 HTTP/9.9\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"Traceback" not in answer
    still_serving(studio)


# ------------------------------------------------------------------ disconnects


def test_the_server_survives_a_client_that_leaves_mid_upload(studio):
    body, content_type = multipart([("half.wav", tone_wav(20.0))])
    head = (f"POST /api/tracks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {studio.token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    before = studio.tracks()
    for cut in (10, len(body) // 3, len(body) - 100):
        raw(studio, head + body[:cut], read=False)
    time.sleep(0.5)
    still_serving(studio)
    assert studio.tracks() == before
    scratch_clean(studio)


def test_the_server_survives_a_client_that_leaves_mid_download(studio, song_id):
    for _ in range(5):
        with socket.create_connection((studio.host, studio.port), timeout=20) as sock:
            sock.sendall((f"GET /api/tracks/{song_id}/audio HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {studio.token}\r\n\r\n").encode())  # fmt: skip
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    still_serving(studio)
    full = studio.get(f"/api/tracks/{song_id}/audio")
    assert full.status == 200 and len(full.body) > 1_000_000


def test_the_server_listens_on_loopback_only(studio):
    import psutil

    listening = [c.laddr for c in psutil.Process(studio.proc.pid).net_connections(kind="inet") if c.status == "LISTEN"]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
