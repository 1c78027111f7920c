"""Every Python example of the user guide (py/README.md) and of the top
README.md, run as the programs a reader would run, and checked.

How a document marks its blocks (HTML comments, invisible when rendered), on
the line before a fenced block:

    <!-- guide: group=NAME [copies=N] [stop=sigint] [args=url] -->
        A program of example NAME. The programs of one example run as separate
        processes, started in document order; each starts once every process
        of the one before has printed its first line (so a server is ready
        before its client starts). `copies=N` starts N processes of it at
        once. `stop=sigint` marks a program that runs until Ctrl-C: it gets
        SIGINT once the others have exited, and must then exit 0 or 130.
        `args=url` passes the first http:// URL the previous program printed
        as its argument. A ```bash block in a group runs with bash, `python`
        being this interpreter.
    <!-- guide: file=NAME -->
        Not run: written as file NAME in the examples' directory, for a
        program that runs it (a child process).
    <!-- guide: output -->
        On a ```text block: exactly what the program before it prints (each
        copy, for copies=N).

A ```python block with no mark runs alone. Every ```python block must run:
a block that is not Python (a Bazel WORKSPACE) is fenced with its own
language. Each example runs in a fresh directory, one at a time on the
machine (its names are fixed); every process must exit 0 (or as `stop=sigint`
allows) with nothing on stderr but what Ctrl-C prints.
"""

import contextlib
import dataclasses
import fcntl
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import REPO_ROOT

DOCUMENTS = ["py/README.md", "README.md"]
MARK = re.compile(r"^<!--\s*guide:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
DEADLINE_SECONDS = 60


@dataclasses.dataclass
class Block:
    document: str
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    attrs: dict
    output: str = None  # the expected stdout, from a following output block

    @property
    def where(self):
        return "%s:%d" % (self.document, self.line)


def _parse_attrs(text):
    attrs = {}
    for word in text.split():
        key, _, value = word.partition("=")
        attrs[key] = value if value else True
    return attrs


def parse(document):
    """The fenced blocks of `document` with their marks, output blocks attached."""
    lines = (REPO_ROOT / document).read_text(encoding="utf-8").splitlines()
    blocks, i, previous = [], 0, None
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start, language = i, fence.group(1)
        end = start + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        assert end < len(lines), "%s:%d: unclosed fence" % (document, start + 1)
        mark_line = start - 1
        while mark_line >= 0 and not lines[mark_line].strip():
            mark_line -= 1
        mark = MARK.match(lines[mark_line]) if mark_line >= 0 else None
        attrs = _parse_attrs(mark.group(1)) if mark else {}
        code = "\n".join(lines[start + 1:end]) + "\n"
        block = Block(document, start + 1, language, code, attrs)
        if attrs.get("output"):
            assert language == "text", "%s: an output block is ```text" % block.where
            assert previous is not None and previous.output is None, (
                "%s: an output block follows the program it belongs to" % block.where)
            previous.output = code
        else:
            blocks.append(block)
            previous = block if (language == "python" or "group" in attrs) else None
        i = end + 1
    return blocks


def examples(document):
    """(name, [blocks]) for each example to run, and the files they may use."""
    runs, groups, files = [], {}, {}
    for block in parse(document):
        if "file" in block.attrs:
            files[block.attrs["file"]] = block.code
        elif "group" in block.attrs:
            name = block.attrs["group"]
            if name not in groups:
                groups[name] = []
                runs.append((name, groups[name]))
            groups[name].append(block)
        elif block.language == "python":
            runs.append(("line%d" % block.line, [block]))
    return runs, files


class Program:
    """One process of an example: stdout collected as it comes, stderr to a file."""

    def __init__(self, block, cwd, args, index):
        self.block = block
        stem = "%s_%d" % (re.sub(r"\W", "_", block.document), block.line)
        self.stderr_path = cwd / (".%s_%d.stderr" % (stem, index))
        if block.language == "python":
            # A file of its own: copies=N start one after another, and a copy
            # writing a shared script (truncate, then write) while the one
            # before was still reading it left that one an empty program.
            script = cwd / (".%s_%d.py" % (stem, index))
            script.write_text(block.code, encoding="utf-8")
            argv = [sys.executable, script.name, *args]
        else:
            assert block.language == "bash", "%s: cannot run ```%s" % (block.where, block.language)
            argv = ["bash", "-c", block.code + " " + " ".join(map(shlex.quote, args))]
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        with open(self.stderr_path, "wb") as stderr:
            # Its own process group, as a terminal runs each command, so that
            # Ctrl-C (SIGINT to the group) reaches bash's child too.
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                         stderr=stderr, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.out = b""
        self._eof = False

    def _read(self, deadline):
        """Reads what is there, waiting until `deadline`; False on timeout."""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        self._eof = not chunk
        self.out += chunk
        return True

    def first_line(self, deadline):
        while b"\n" not in self.out:
            if self._eof or not self._read(deadline):
                self.fail("printed no line in time (or exited without one)")
        return self.out.split(b"\n", 1)[0].decode()

    def finish(self, deadline):
        while not self._eof:
            if not self._read(deadline):
                self.fail("did not exit in time")
        try:
            return self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.fail("closed its stdout but did not exit")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc.stdout.close()

    @property
    def stderr(self):
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def fail(self, why):
        pytest.fail("%s %s\nstdout:\n%s\nstderr:\n%s" % (
            self.block.where, why, self.out.decode(errors="replace"), self.stderr))


@contextlib.contextmanager
def _machine_wide_turn(timeout=300):
    """One example at a time on this machine: the guide's names ("orders",
    /tmp/orders.sock) are fixed, and another run of the suite (another
    checkout, the same CI host) may be running the same example. An flock
    waits for the other run's example to end (or its process to die)."""
    with open(os.path.join(tempfile.gettempdir(), "ipckit-guide-examples.lock"), "a") as lock:
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (fcntl.flock(lock, fcntl.LOCK_EX), got.set()),
                                  daemon=True)
        waiter.start()
        assert got.wait(timeout), "another run held the guide examples' lock for %d s" % timeout
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_example(blocks, files, cwd):
    with _machine_wide_turn():
        _run_example(blocks, files, cwd)


def _run_example(blocks, files, cwd):
    for name, code in files.items():
        (cwd / name).write_text(code, encoding="utf-8")
    deadline = time.monotonic() + DEADLINE_SECONDS
    started, previous_line = [], ""
    try:
        for i, block in enumerate(blocks):
            args = []
            if block.attrs.get("args") == "url":
                found = re.search(r"http://\S+", previous_line)
                assert found, "%s: args=url, but the program before printed %r" % (
                    block.where, previous_line)
                args = [found.group(0)]
            batch = [Program(block, cwd, args, n) for n in range(int(block.attrs.get("copies", 1)))]
            started += batch
            if i + 1 < len(blocks):
                for program in batch:
                    previous_line = program.first_line(deadline)
        stopped = [p for p in started if p.block.attrs.get("stop") == "sigint"]
        for program in started:
            if program not in stopped:
                code = program.finish(deadline)
                if code != 0:
                    program.fail("exited with %s" % code)
        for program in reversed(stopped):
            os.killpg(program.proc.pid, signal.SIGINT)  # Ctrl-C in its terminal
            code = program.finish(deadline)
            if code not in (0, 128 + signal.SIGINT):
                program.fail("exited with %s after Ctrl-C" % code)
        for program in started:
            stderr = program.stderr
            if program in stopped:
                stderr = stderr.replace("ipckit: interrupted\n", "")
            if stderr:
                program.fail("wrote to stderr")
            if program.block.output is not None and program.out.decode() != program.block.output:
                program.fail("printed other than its output block:\n%s" % program.block.output)
    finally:
        for program in started:
            program.kill()


def _cases():
    cases = []
    for document in DOCUMENTS:
        runs, files = examples(document)
        for name, blocks in runs:
            cases.append(pytest.param(document, blocks, files, id="%s:%s" % (document, name)))
    return cases


@pytest.mark.parametrize("document,blocks,files", _cases())
def test_example(document, blocks, files, tmp_path):
    run_example(blocks, files, tmp_path)


def test_every_python_block_runs():
    """No Python block escapes the runner, and the guide has examples of each kind."""
    for document in DOCUMENTS:
        runs, files = examples(document)
        ran = {b.line for _, blocks in runs for b in blocks}
        for block in parse(document):
            if block.language == "python":
                assert block.line in ran or "file" in block.attrs, block.where
    runs, files = examples("py/README.md")
    groups = {name: blocks for name, blocks in runs}
    assert "child.py" in files
    # Each method appears with both sides as separate programs.
    for needle in ["IpcChannel.create", "IpcChannel.connect", "NamedPipe.create",
                   "NamedPipe.connect", "AnonymousPipe()", "AnonymousPipe.from_fds",
                   "SharedMemory.create", "SharedMemory.open", "ShmPublisher.create",
                   "ShmSubscriber.create", "FileChannel.backend", "FileChannel.frontend",
                   ".accept(", "numpy.frombuffer(shm", "ipckit serve", "aio.IpcChannel"]:
        assert any(needle in b.code for blocks in groups.values() for b in blocks) \
            or any(needle in code for code in files.values()), needle
    # Both sides of README.md's Python examples are there.
    top_runs, _ = examples("README.md")
    assert all(len(blocks) >= 2 for name, blocks in top_runs), [
        (name, len(blocks)) for name, blocks in top_runs]


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS + ["py/CONTRIBUTING.md", "py/PLATFORMS.md"])
def test_links_stay_inside_the_repository(document):
    """Every link of the documents resolves to a file or directory of this
    repository (and a #fragment to one of its headings); none leaves it."""
    path = REPO_ROOT / document
    text = path.read_text(encoding="utf-8")
    bad = []
    for target in LINK.findall(text):
        if document == "py/PLATFORMS.md" and target.startswith("https://pypi.org/"):
            continue  # where auditwheel comes from; PLATFORMS.md is not the top README
        if re.match(r"^[a-z]+:", target):
            bad.append((target, "leaves the repository"))
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if REPO_ROOT.resolve() not in [resolved, *resolved.parents]:
            bad.append((target, "is outside the repository"))
        elif not resolved.exists():
            bad.append((target, "does not exist"))
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            bad.append((target, "names no heading"))
    assert not bad, bad


def _anchors(markdown_path):
    """GitHub's anchors for the headings of a Markdown file."""
    anchors = set()
    for line in markdown_path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+\s+(.*)$", line)
        if heading:
            text = heading.group(1).strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return anchors
