"""json_dumps / json_dumps_pretty / json_loads: spec/json.md, the shared vectors,
round trips (hypothesis), byte identity with the C++ core, errors and speed."""

import collections
import enum
import json
import math
import struct
import subprocess
import timeit

import pytest
from hypothesis import given, settings, strategies as st

import ipckit
from conftest import VECTORS


def _vector_cases():
    cases = []
    for path in sorted((VECTORS / "json").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["area"] == "json"
        cases += data["cases"]
    return cases


VECTOR_CASES = _vector_cases()


def test_vector_files_have_cases():
    assert len(VECTOR_CASES) >= 25, "conformance/vectors/json has %d cases" % len(VECTOR_CASES)


def _dump_input(inp):
    if "value_json" in inp:
        return ipckit.json_loads(inp["value_json"])
    if "f64_bits" in inp:
        return struct.unpack(">d", bytes.fromhex(inp["f64_bits"]))[0]
    if "string_hex" in inp:
        return bytes.fromhex(inp["string_hex"]).decode("utf-8", "surrogateescape")
    raise AssertionError("unknown input %r" % inp)


@pytest.mark.parametrize("case", VECTOR_CASES, ids=[c["name"] for c in VECTOR_CASES])
def test_vector(case):
    inp, expect = case["input"], case["expect"]
    if case["op"] in ("json_dumps", "json_dumps_pretty"):
        dump = ipckit.json_dumps if case["op"] == "json_dumps" else ipckit.json_dumps_pretty
        run = lambda: dump(_dump_input(inp))  # noqa: E731
    elif case["op"] == "json_loads":
        text = inp["text"].encode("utf-8") if "text" in inp else bytes.fromhex(inp["text_hex"])
        run = lambda: ipckit.json_dumps(ipckit.json_loads(text))  # noqa: E731
    else:
        pytest.fail("unknown op %s" % case["op"])
    if "error" in expect:
        with pytest.raises(ipckit.IpcError) as info:
            run()
        assert info.value.error_class == expect["error"], str(info.value)
    else:
        want = expect.get("canonical_map", expect.get("canonical", expect.get("text")))
        assert run() == want


def test_loads_accepts_str_bytes_and_bytearray():
    for text in ['{"a":[1,2.5]}', b'{"a":[1,2.5]}', bytearray(b'{"a":[1,2.5]}'),
                 memoryview(b'{"a":[1,2.5]}')]:
        assert ipckit.json_loads(text) == {"a": [1, 2.5]}


@pytest.mark.parametrize("value, text", [
    ({"name": "test", "values": [1, 2, 3]}, '{"name":"test","values":[1,2,3]}'),
    ((1, "x", None, True, False), '[1,"x",null,true,false]'),
    (1.0, "1.0"), (0.1, "0.1"), (-0.0, "-0.0"), (1e21, "1e21"), (1e-7, "1e-7"),
    (1e20, "100000000000000000000.0"), (5e-324, "5e-324"),
    (2**64 - 1, "18446744073709551615"), (-2**63, "-9223372036854775808"),
    ("é\n\x00/\u2028", '"é\\n\\u0000/\u2028"'),
    ({"b": 1, "a": 2}, '{"b":1,"a":2}'),
    (collections.OrderedDict([("z", 1), ("y", 2)]), '{"z":1,"y":2}'),
    ([[], {}], "[[],{}]"),
])
def test_dumps_exact(value, text):
    assert ipckit.json_dumps(value) == text


def test_dumps_subclasses():
    class Color(enum.IntEnum):
        RED = 1

    class Name(str):
        pass

    Point = collections.namedtuple("Point", "x y")
    assert ipckit.json_dumps([Color.RED, Name("n"), Point(1, 2), True]) == '[1,"n",[1,2],true]'
    ordered = collections.OrderedDict([("a", 1), ("b", 2)])
    ordered.move_to_end("a")
    assert ipckit.json_dumps(ordered) == '{"b":2,"a":1}'


def test_dumps_pretty_layout():
    assert ipckit.json_dumps_pretty({"a": [1, {}], "b": "x"}) == (
        '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": "x"\n}')
    assert ipckit.json_dumps_pretty([]) == "[]"
    assert ipckit.json_dumps_pretty(3) == "3"


@pytest.mark.parametrize("value, error, words", [
    ({1, 2}, TypeError, "set"),
    (b"bytes", TypeError, "bytes"),
    (object(), TypeError, "object"),
    ({1: "int key"}, TypeError, "keys must be str"),
    (float("nan"), ValueError, "NaN"),
    (float("inf"), ValueError, "Infinity"),
    (float("-inf"), ValueError, "-Infinity"),
    (2**64, ValueError, "18446744073709551616"),
    (-2**63 - 1, ValueError, "-9223372036854775809"),
    ("\ud800", ValueError, "surrogate"),
    ({"\udcff": 1}, ValueError, "surrogate"),
])
def test_dumps_rejects(value, error, words):
    with pytest.raises(error) as info:
        ipckit.json_dumps(value)
    assert words in str(info.value)


def test_dumps_depth_limit_and_cycles():
    deep = []
    for _ in range(511):
        deep = [deep]
    assert ipckit.json_dumps(deep).startswith("[[[")  # depth 512 is allowed
    with pytest.raises(ipckit.TooLargeError):
        ipckit.json_dumps([deep])
    loop = []
    loop.append(loop)
    with pytest.raises(ipckit.TooLargeError):
        ipckit.json_dumps(loop)
    with pytest.raises(ValueError):  # TooLargeError is a ValueError too
        ipckit.json_dumps({"self": loop})


@pytest.mark.parametrize("text, value", [
    ("1", 1), ("1.0", 1.0), ("-0", -0.0), ("18446744073709551616", 1.8446744073709552e19),
    ('"\\ud83d\\ude00"', "\U0001F600"), ('{"a":1,"b":2,"a":3}', {"a": 3, "b": 2}),
    (' [ true , null ] ', [True, None]), ('"\\u0000"', "\x00"),
])
def test_loads_values(text, value):
    result = ipckit.json_loads(text)
    assert result == value and type(result) is type(value)
    if isinstance(value, float):
        assert math.copysign(1, result) == math.copysign(1, value)


def test_loads_duplicate_key_keeps_first_position():
    assert list(ipckit.json_loads('{"a":1,"b":2,"a":3}')) == ["a", "b"]


@pytest.mark.parametrize("text, error_class", [
    ("[1,]", "invalid_argument"), ("NaN", "invalid_argument"), ("// c\n1", "invalid_argument"),
    ("01", "invalid_argument"), ("1 2", "invalid_argument"), ("", "invalid_argument"),
    ('"\\udc00"', "invalid_argument"), ('"\\ud800"', "invalid_argument"),
    ("1\x00", "invalid_argument"), (b'"\xff"', "invalid_argument"), ("[" * 513, "too_large"),
])
def test_loads_rejects(text, error_class):
    with pytest.raises(ipckit.IpcError) as info:
        ipckit.json_loads(text)
    assert info.value.error_class == error_class
    assert isinstance(info.value, ValueError)


def test_loads_error_names_the_byte_offset():
    with pytest.raises(ValueError, match="at byte 3"):
        ipckit.json_loads("[1,]")


def test_loads_rejects_non_text():
    with pytest.raises(TypeError, match="int"):
        ipckit.json_loads(12)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_roundtrip_with_stdlib_json(value):
    text = ipckit.json_dumps(value)
    assert json.loads(text) == value
    assert ipckit.json_loads(text) == value
    assert json.loads(ipckit.json_dumps_pretty(value)) == value
    assert ipckit.json_dumps(ipckit.json_loads(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_reads_back_exactly(x):
    text = ipckit.json_dumps(x)
    assert "." in text or "e" in text
    back = ipckit.json_loads(text)
    assert back == x and math.copysign(1, back) == math.copysign(1, x)


def test_dumps_is_byte_identical_to_the_cpp_core(cpp_peer):
    """json_dumps(x) == C++ Dumps(Loads(json_dumps(x))) for many generated values."""
    values = []

    @settings(max_examples=300, deadline=None)
    @given(json_values)
    def collect(value):
        values.append(value)

    collect()
    texts = [ipckit.json_dumps(v) for v in values]
    assert all("\n" not in t for t in texts)
    out = subprocess.run([cpp_peer, "json-canon"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, encoding="utf-8", check=True,
                         timeout=60).stdout.split("\n")
    assert out[:-1] == texts
    pretty_value = {"a": [1, 2.5, {"b": None}], "c": "é", "d": [], "e": {}}
    cpp_pretty = subprocess.run([cpp_peer, "json-pretty"], input=ipckit.json_dumps(pretty_value),
                                capture_output=True, text=True, encoding="utf-8", check=True,
                                timeout=60).stdout
    assert cpp_pretty == ipckit.json_dumps_pretty(pretty_value)


def test_faster_than_stdlib_json():
    """The goal is >= 3x (dumps) and >= 2x (loads) on a small dict, met by the
    -c opt wheel; on a shared 2-core machine, and in a fastbuild where the core
    is unoptimized, only a clear win is asserted and the ratios are printed."""
    data = {"name": "test", "values": [1, 2, 3], "ok": True, "ratio": 0.5, "tags": {"a": None}}
    text = json.dumps(data, separators=(",", ":"))
    assert ipckit.json_loads(text) == data

    def ratio(ours, theirs):
        # Alternate the two so that load from other processes hits both alike.
        best_ours = best_theirs = float("inf")
        for _ in range(7):
            best_theirs = min(best_theirs, timeit.timeit(theirs, number=5000))
            best_ours = min(best_ours, timeit.timeit(ours, number=5000))
        return best_theirs / best_ours

    dumps_ratio = ratio(lambda: ipckit.json_dumps(data), lambda: json.dumps(data))
    loads_ratio = ratio(lambda: ipckit.json_loads(text), lambda: json.loads(text))
    print("json speed-up over stdlib: dumps %.1fx, loads %.1fx" % (dumps_ratio, loads_ratio))
    assert dumps_ratio > 1.5
    assert loads_ratio > 1.0
