"""``mezzo studio`` on the command line: its URL, the demo offer, one-line errors, the warning
for a non-loopback address, and Ctrl-C that leaves no worker behind."""

from __future__ import annotations

import signal
import socket
import sys
import time

import psutil
import pytest

from cli_runner import run_main
from conftest import start_studio, stop_studio


def test_help_lists_the_flags(capsys):
    code, out, _ = run_main(capsys, "studio", "--help")
    assert code == 0
    for flag in ("--port", "--host", "--no-browser", "--work-dir", "--max-upload-mb", "--quiet", "FILE_OR_DIR"):
        assert flag in out


def test_a_port_in_use_is_a_one_line_error(capsys, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run_main(capsys, "studio", "--no-browser", "--port", port, "--work-dir", tmp_path / "w")
    assert code == 1 and out == ""
    assert err == f"mezzo: error: port {port} on 127.0.0.1 is in use (another studio?) — pass --port {port + 1}, " \
                  "or --port 0 for any free port\n"


def test_another_address_than_loopback_is_warned_about(capsys, tmp_path):
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface here: the bind fails after the warning,
    # so nothing listens beyond this machine during the test.
    code, _, err = run_main(capsys, "studio", "--no-browser", "--host", "192.0.2.1", "--port", 0,
                            "--work-dir", tmp_path / "w")  # fmt: skip
    lines = err.splitlines()
    assert code == 1 and len(lines) == 2
    assert lines[0].startswith("mezzo: warning: listening on 192.0.2.1, not only on this machine")
    assert lines[1].startswith("mezzo: error: cannot listen on 192.0.2.1:0")


@pytest.mark.parametrize("what", ["missing", "not audio", "empty folder"])
def test_bad_paths_are_one_line_errors_before_anything_starts(capsys, tmp_path, what):
    path = tmp_path / "x.wav"
    if what == "not audio":
        path.write_text("hello")
    elif what == "empty folder":
        path = tmp_path / "stems"
        path.mkdir()
    code, out, err = run_main(capsys, "studio", path, "--no-browser", "--port", 0, "--work-dir", tmp_path / "w")
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("mezzo: error: ")
    assert str(path) in err
    assert not (tmp_path / "w").exists()


def test_without_files_the_page_offers_the_demo(tmp_path):
    studio = start_studio(["--workers", "1"], tmp_path / "w", tmp_path / "log")
    try:
        lines = [studio.proc.stdout.readline().decode().strip() for _ in range(3)]
        assert lines == [f"work folder: {tmp_path / 'w'}", "no file given: the page offers the demo track",
                         "Ctrl-C stops the studio"]  # fmt: skip
        assert studio.host == "127.0.0.1" and studio.tracks() == []
    finally:
        stop_studio(studio)


def test_quiet_prints_the_url_line_only(tmp_path):
    studio = start_studio(["--workers", "1", "--quiet"], tmp_path / "w", tmp_path / "log")
    try:
        assert studio.tracks() == []  # it serves
        assert stop_studio(studio) == 130
        assert studio.proc.stdout.read().decode() == ""  # nothing after the URL line
        assert studio.log.read_text() == "mezzo: interrupted\n"  # and on stderr only how it ended
    finally:
        stop_studio(studio)


def test_the_browser_opens_on_the_printed_url_unless_no_browser(tmp_path):
    # Python's webbrowser runs $BROWSER (with %s for the URL): here a script that writes down what it got.
    seen = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys; open({str(seen)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    studio = start_studio(["--workers", "1"], tmp_path / "w", tmp_path / "log",
                          browser=f"{sys.executable} {recorder} %s")  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen.read_text().splitlines() == [studio.url]
        assert studio.get("/", auth=False, headers={"Cookie": ""}).status == 401  # the URL carries the token:
        assert studio.get("/?token=" + studio.token, auth=False).status == 303  # it is the way in
    finally:
        stop_studio(studio)
    quiet = start_studio(["--workers", "1"], tmp_path / "w2", tmp_path / "log2")  # --no-browser
    try:
        time.sleep(1.0)  # the browser is opened 0.3 s after the URL is printed
        assert seen.read_text().splitlines() == [studio.url]
    finally:
        stop_studio(quiet)


@pytest.mark.parametrize(("sig", "code", "said"), [(signal.SIGINT, 130, "mezzo: interrupted"),
                                                  (signal.SIGTERM, 143, "mezzo: terminated")])  # fmt: skip
def test_ctrl_c_and_sigterm_stop_the_studio_and_its_workers(tmp_path, sig, code, said):
    studio = start_studio(["--workers", "2"], tmp_path / "w", tmp_path / "log")
    try:
        assert studio.get("/api/tracks").status == 200
        job = studio.post_json("/api/demo", {}).json()  # a job in flight when the signal comes
        children = psutil.Process(studio.proc.pid).children(recursive=True)
        assert len(children) >= 2
        studio.proc.send_signal(sig)
        assert studio.proc.wait(30) == code
    finally:
        stop_studio(studio)
    log = (tmp_path / "log").read_text()
    assert "Traceback" not in log and log.strip().endswith(said), log
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert job["job_id"] and not list((tmp_path / "w" / "scratch").iterdir())


def test_a_folder_opens_as_stems_and_a_file_as_a_track(tmp_path):
    from conftest import tone_wav
    from mezzo.studio.service import Studio

    stems = tmp_path / "stems"
    stems.mkdir()
    for name in ("kick.wav", "bass.wav", "notes.txt"):
        (stems / name).write_bytes(tone_wav() if name.endswith(".wav") else b"x")
    single = tmp_path / "single"
    single.mkdir()
    (single / "only.wav").write_bytes(tone_wav())
    studio = Studio(tmp_path / "w", workers=1, warm=False)
    try:
        tracks, sets = studio.open_paths([str(stems), str(single)])
        assert [s.names for s in sets] == [("bass", "kick")]
        assert [t.name for t in tracks] == ["only.wav"]
        assert studio.stems_job(sets[0].id) is not None and studio.analysis_job(tracks[0].id) is not None
        assert studio.opened == [{"kind": "track", "id": tracks[0].id}, {"kind": "stems", "id": sets[0].id}]
        # The same file opened again is the same track (with its versions), not a copy.
        again, _ = studio.open_paths([str(single / "only.wav")])
        assert again == tracks and len(studio.workspace.tracks()) == 1
    finally:
        studio.close()


def test_a_missing_extra_names_it(monkeypatch):
    import importlib.util

    from mezzo.studio import server

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(server.StudioError, match=r"needs uvicorn: install mezzo's studio extra \(pip install 'mezzo\[studio\]'"):
        server.check_installed()
