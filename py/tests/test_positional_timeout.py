"""A positional `timeout` gets one short TypeError naming the keyword
(issue 14), from every method that takes `timeout` as a keyword, while calls
that bind and other mistakes behave as before (py/src/args.h,
ExplainPositionalTimeouts)."""

import re

import pytest

import ipckit
from ipckit import _ipckit


def _split_params(signature):
    """The parameter names of a pybind11 signature line, '*' included."""
    inside = signature[signature.index("(") + 1:signature.rindex(") ->")]
    params, depth, current = [], 0, ""
    for ch in inside:
        if ch == "," and depth == 0:
            params.append(current.strip())
            current = ""
            continue
        depth += ch in "[(" and 1 or ch in "])" and -1 or 0
        current += ch
    if current.strip():
        params.append(current.strip())
    return [p.split(":")[0].split("=")[0].strip() for p in params]


def _keyword_timeout_functions():
    """(class, name, static, positional names) for every function of the
    extension whose signature has a keyword-only `timeout`."""
    found = []
    for cls in vars(_ipckit).values():
        if not isinstance(cls, type) or issubclass(cls, BaseException):
            continue
        for name, attr in vars(cls).items():
            if name.startswith("__"):
                continue
            function = attr.__func__ if isinstance(attr, staticmethod) else attr
            doc = getattr(function, "__doc__", None) or ""
            first = doc.split("\n", 1)[0]
            if not first.startswith(name + "("):
                continue
            params = _split_params(first)
            if "*" not in params or "timeout" not in params[params.index("*"):]:
                continue
            positional = params[:params.index("*")]
            static = isinstance(attr, staticmethod)
            if not static:
                positional = positional[1:]  # self
            found.append((cls, name, static, positional))
    return found


FUNCTIONS = _keyword_timeout_functions()


def test_the_methods_users_meet_are_covered():
    names = {"%s.%s" % (cls.__name__, name) for cls, name, _, _ in FUNCTIONS}
    for expected in ["IpcChannel.recv", "IpcChannel.send", "IpcChannel.connect",
                     "IpcChannel.wait_for_client", "IpcChannel.accept", "NamedPipe.read",
                     "AnonymousPipe.read_exact", "SharedMemory.open", "FileChannel.recv_one",
                     "FileChannel.send_event", "ShmSubscriber.receive", "ShmPublisher.send"]:
        assert expected in names, sorted(names)


@pytest.mark.parametrize("cls,name,static,positional", FUNCTIONS,
                         ids=["%s.%s" % (f[0].__name__, f[1]) for f in FUNCTIONS])
def test_every_keyword_timeout_names_the_keyword(cls, name, static, positional):
    # No instance is needed: self=None does not bind, so the call reaches the
    # hint the same way a real object's call with an extra argument does.
    args = [None] * len(positional) + [2.5]
    function = getattr(cls, name)
    with pytest.raises(TypeError) as raised:
        function(*args) if static else function(None, *args)
    expected = "%s.%s() takes timeout as a keyword: %s(%s)" % (
        cls.__name__, name, name, ", ".join(positional + ["timeout=2.5"]))
    assert str(raised.value) == expected


def test_on_real_objects(unique_name, tmp_path):
    name = unique_name("kw")
    with ipckit.IpcChannel.create(name) as server:
        with pytest.raises(TypeError, match=re.escape(
                "IpcChannel.connect() takes timeout as a keyword: connect(name, timeout=5)")):
            ipckit.IpcChannel.connect(name, 5)
        client = ipckit.IpcChannel.connect(name, timeout=5)
        server.wait_for_client(timeout=5)
        with pytest.raises(TypeError) as raised:
            client.send(b"x", 1)
        assert str(raised.value) == \
            "IpcChannel.send() takes timeout as a keyword: send(data, timeout=1)"
        with pytest.raises(TypeError) as raised:
            server.recv(1.0)
        assert str(raised.value) == \
            "IpcChannel.recv() takes timeout as a keyword: recv(timeout=1.0)"
        # Nothing was sent by the refused call; calls that bind work as before.
        client.send(b"y", timeout=1)
        assert server.recv(timeout=5) == b"y"
        with pytest.raises(ipckit.IpcTimeoutError):
            server.recv(timeout=0.01)
        client.close()
    with ipckit.FileChannel.backend(tmp_path / "ch") as channel:
        with pytest.raises(TypeError) as raised:
            channel.send_event("e", {"a": 1}, 3)
        assert str(raised.value) == ("FileChannel.send_event() takes timeout as a keyword: "
                                     "send_event(name, payload, timeout=3)")
        # 0.1's positional timeout_ms is still positional.
        request_id = channel.send_request("m")
        with pytest.raises(ipckit.IpcTimeoutError):
            channel.wait_response(request_id, 1)


def test_a_long_value_is_shortened():
    with pytest.raises(TypeError) as raised:
        ipckit.IpcChannel.recv(None, "x" * 100)
    message = str(raised.value)
    assert message.startswith("IpcChannel.recv() takes timeout as a keyword: recv(timeout='xxx")
    assert message.endswith("...)") and len(message) <= 110


def test_other_mistakes_keep_pybind11s_message():
    with ipckit.AnonymousPipe() as pipe:
        with pytest.raises(TypeError, match="incompatible function arguments") as raised:
            pipe.read(1, 2, 3)  # two extra: not a misplaced timeout
        assert "*args" not in str(raised.value)  # pybind11's own list, one signature
        assert "timeout: object = None) -> bytes" in str(raised.value)
        with pytest.raises(TypeError, match="incompatible function arguments"):
            pipe.read(1, 2, timeout=3)  # timeout given: the extra is something else
        with pytest.raises(TypeError, match="incompatible function arguments"):
            pipe.read()


def test_docstrings_are_the_real_signatures():
    doc = ipckit.IpcChannel.recv.__doc__
    assert doc.startswith("recv(self: ipckit._ipckit.IpcChannel, *, timeout: object = None)"), doc
    assert "Overloaded" not in doc and "*args" not in doc
    assert ipckit.IpcChannel.connect.__doc__.startswith("connect(name: ")
