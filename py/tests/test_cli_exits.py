"""How the `ipckit` command line ends: its program name, a reader that goes
away, and Ctrl-C, the same for every long-running command."""

import os
import pathlib
import selectors
import signal
import subprocess
import sys

import pytest


def _ready_line(proc, timeout=20):
    """The first line `proc` prints, waiting on its pipe (no sleeping)."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=timeout), "printed nothing"
    return proc.stdout.readline()


def test_console_script_names_itself_ipckit():
    script = pathlib.Path(sys.executable).parent / "ipckit"
    assert script.exists(), "pip did not install the console script"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ipckit "), result.stdout


def test_python_dash_m_names_itself_so():
    result = subprocess.run([sys.executable, "-m", "ipckit", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.startswith("usage: python -m ipckit "), result.stdout


def test_info_into_a_closed_pipe_prints_no_traceback():
    # The reader is gone before the first write (what `| head -2` becomes once
    # head has its lines): every write gets EPIPE.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "ipckit", "info"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == "", result.stderr
    assert result.returncode == 128 + signal.SIGPIPE


@pytest.mark.parametrize("command", ["listen", "serve"])
def test_ctrl_c_ends_listen_and_serve_alike(command, unique_name, tmp_path):
    args = {"listen": ["listen", unique_name("cli-int")],
            "serve": ["serve", str(tmp_path / "channel"), "--port", "0"]}[command]
    proc = subprocess.Popen([sys.executable, "-u", "-m", "ipckit", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Ctrl-C" in _ready_line(proc)  # blocked in its loop from here on
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.splitlines() == ["ipckit: interrupted"], err
