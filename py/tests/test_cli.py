"""`python -m ipckit`: info, send/listen between two processes, demo."""

import subprocess
import sys


def _ipckit(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "ipckit", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_info_names_where_things_map():
    result = _ipckit("info", "jobs")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "0.2.0" in out and "wire format version" in out
    assert "/tmp/jobs.sock" in out
    assert "/dev/shm/jobs" in out
    assert "Linux" in out


def test_send_and_listen(unique_name):
    name = unique_name("cli")
    listener = subprocess.Popen([sys.executable, "-m", "ipckit", "listen", name, "--count", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().startswith("listening on IpcChannel")
        assert _ipckit("send", name, "hello").returncode == 0
        assert _ipckit("send", name, "héllo again").returncode == 0
        out, err = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert listener.returncode == 0, err
    assert out.splitlines() == ["hello", "héllo again"]


def test_send_without_a_listener_fails_cleanly(unique_name):
    result = _ipckit("send", unique_name("cli"), "x", "--timeout", "0.2")
    assert result.returncode == 1
    assert "timed out" in result.stderr and "Traceback" not in result.stderr


def test_demo_uses_all_five_methods():
    result = _ipckit("demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for method in ("AnonymousPipe", "NamedPipe", "IpcChannel", "SharedMemory", "FileChannel"):
        (line,) = [l for l in lines if l.startswith(method + " ")]
        assert "round trips, median" in line and line.rstrip().endswith(")")
    assert lines[-1] == "demo: all 5 methods OK"


def test_usage_error():
    result = _ipckit("no-such-command")
    assert result.returncode == 2
    assert "demo" in result.stderr
