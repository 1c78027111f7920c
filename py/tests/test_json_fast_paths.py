"""json_loads's one-pass parser and json_dumps's compact writer (bench/json_profile.md):
every edge they handle themselves, checked against the stdlib json module
where it agrees with spec/json.md, and against the errors of the C++ core's
Loads, which has the final word on every text the parser gives up on."""

import gc
import json
import math

import pytest
from hypothesis import given, settings, strategies as st

import ipckit

# A byte for each way a string body can stop the word-at-a-time scan.
SPECIALS = ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "é", "中", "\U0001F600", "/"]


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 15, 16, 17, 31, 33])
def test_strings_around_the_word_boundary(length):
    for special in SPECIALS:
        for at in range(length + 1):
            s = "a" * at + special + "b" * (length - at)
            text = json.dumps(s, ensure_ascii=False)
            assert ipckit.json_loads(text) == s, text
            assert ipckit.json_loads(text.encode()) == s
            assert ipckit.json_dumps(s) == text, s
            key_text = json.dumps({s: at}, ensure_ascii=False, separators=(",", ":"))
            assert ipckit.json_loads(key_text) == {s: at}
            assert ipckit.json_dumps({s: at}) == key_text


def test_string_escapes():
    text = r'"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u4E2D \ud83d\ude00 \uD83D\uDE00 \u0000"'
    assert ipckit.json_loads(text) == json.loads(text) == '" \\ / \b \f \n \r \t A é 中 😀 😀 \x00'


@pytest.mark.parametrize("text", [
    r'"\ud800"', r'"\udc00"', r'"\ud800x"', r'"\ud800\u0041"', r'"\ud800\ud800"', r'"\udfff\ud800"',
    r'"\x"', r'"\u12"', r'"\u12g4"', r'"\U0041"', '"\\', '"abc', '"\t"', '"a\x00b"',
    b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"', b'"\xe2\x82"', b'{"\xff":1}',
])
def test_bad_strings_raise_the_cores_error(text):
    with pytest.raises(ipckit.InvalidArgumentError, match="at byte"):
        ipckit.json_loads(text)


def test_lone_surrogate_messages_name_the_unit():
    with pytest.raises(ipckit.InvalidArgumentError, match=r"lone UTF-16 surrogate escape \\udc00"):
        ipckit.json_loads('["x", "\\udc00"]')


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("-1", -1), ("999999999999999999", 999999999999999999),
    ("-999999999999999999", -999999999999999999),
    ("1000000000000000000", 10**18), ("9223372036854775807", 2**63 - 1),
    ("9223372036854775808", 2**63), ("18446744073709551615", 2**64 - 1),
    ("-9223372036854775808", -2**63),
    ("18446744073709551616", 1.8446744073709552e19), ("-9223372036854775809", -9.223372036854776e18),
    ("-0", -0.0), ("-0.0", -0.0), ("0.0", 0.0), ("1E+2", 100.0), ("1e-2", 0.01), ("25e-1", 2.5),
    ("0e400", 0.0), ("1e-400", 0.0), ("-1e-400", -0.0), ("1" * 400 + "e-300", 1.111111111111111e99),
    ("1.7976931348623157e308", 1.7976931348623157e308), ("5e-324", 5e-324),
])
def test_numbers(text, value):
    for wrapped, unwrap in ((text, lambda v: v), (f"[{text}]", lambda v: v[0]),
                            (f'{{"k":{text}}}', lambda v: v["k"])):
        result = unwrap(ipckit.json_loads(wrapped))
        assert result == value and type(result) is type(value), wrapped
        if isinstance(value, float):
            assert math.copysign(1, result) == math.copysign(1, value)


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1.8e308", "[1e999]"])
def test_numbers_too_large_for_a_double(text):
    with pytest.raises(ipckit.InvalidArgumentError, match="too large for a double"):
        ipckit.json_loads(text)


@pytest.mark.parametrize("text", ["-", "1.", ".5", "1e", "1e+", "01", "-01", "+1", "0x10", "1.e5",
                                  "Infinity", "-Infinity", "NaN", "tru", "nul", "falsey", "[1 2]"])
def test_bad_numbers_and_literals(text):
    with pytest.raises(ipckit.InvalidArgumentError, match="invalid JSON at byte"):
        ipckit.json_loads(text)


def test_whitespace_is_exactly_the_four_json_characters():
    assert ipckit.json_loads(' \t\n\r{ \t\n\r"a" \t\n\r: \t\n\r[ 1 , 2 ] \t\n\r} \t\n\r') == {"a": [1, 2]}
    for space in ["\f", "\v", "\u00a0", "\u2028", "\ufeff"]:
        with pytest.raises(ipckit.InvalidArgumentError):
            ipckit.json_loads(space + "1")


def test_depth_limit_for_arrays_objects_and_mixtures():
    assert ipckit.json_loads("[" * 512 + "]" * 512) is not None
    nested = '{"a":' * 511 + "[]" + "}" * 511
    assert ipckit.json_dumps(ipckit.json_loads(nested)) == nested
    for text in ["[" * 513 + "]" * 513, '{"a":' * 512 + "[]" + "}" * 512,
                 '[{"a":' * 257 + "1" + "}]" * 257]:
        with pytest.raises(ipckit.TooLargeError, match="nesting depth exceeds the limit 512"):
            ipckit.json_loads(text)


def test_errors_after_partial_work_leave_no_garbage():
    """A failure deep inside nested lists and dicts releases what was built."""
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(200):
        with pytest.raises(ipckit.InvalidArgumentError):
            ipckit.json_loads('[[1, "a", {"k": [2, 3, {"z": "y"}]}], [4, 5, [6, 7, oops')
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_key_cache_returns_equal_keys_and_survives_eviction():
    many = {f"key{i}": i for i in range(5000)}  # more keys than the cache holds
    text = json.dumps(many)
    assert ipckit.json_loads(text) == many
    assert ipckit.json_loads(text) == many
    for key in ["", "a" * 64, "a" * 65, "é", "\\u00e9", "a\\nb", "x" * 1000]:
        text = '{"%s":1}' % key
        assert ipckit.json_loads(text) == json.loads(text)
        assert ipckit.json_loads(text) == json.loads(text)
    records = ipckit.json_loads('[{"id":1,"name":"a"},{"id":2,"name":"b"}]')
    assert [list(r) for r in records] == [["id", "name"], ["id", "name"]]
    assert all(type(k) is str for r in records for k in r)


def test_lists_of_every_shape():
    for value in [[], [[]], [[], []], [[1, [2, [3, []]]], 4], [{"a": [1, 2]}, [3], {}],
                  list(range(10000)), [[i] * (i % 5) for i in range(300)]]:
        text = json.dumps(value)
        assert ipckit.json_loads(text) == value
        assert ipckit.json_loads(text.encode()) == value


def test_inputs_of_every_buffer_type_take_the_same_path():
    text = '{"a":[1,2.5,"é",null,true,false]}'
    want = json.loads(text)
    for obj in [text, text.encode(), bytearray(text.encode()), memoryview(text.encode()),
                memoryview(b"xx" + text.encode() + b"yy")[2:-2]]:
        assert ipckit.json_loads(obj) == want
    with pytest.raises(ipckit.InvalidArgumentError, match="unexpected NUL byte"):
        ipckit.json_loads(memoryview(b"[1]\x00"))


def test_large_document_matches_stdlib():
    doc = [{"id": i, "x": i * 0.5, "name": f"item-{i}", "ok": i % 2 == 0, "tags": ["é", "b"] * (i % 3),
            "nested": {"deep": [i, -i, str(i)]}} for i in range(5000)]
    text = json.dumps(doc, ensure_ascii=False)
    assert ipckit.json_loads(text) == doc
    assert json.loads(ipckit.json_dumps(doc)) == doc
    assert ipckit.json_dumps(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def test_dumps_nested_call_from_a_dict_subclass_gets_its_own_buffer():
    class Noisy(dict):
        def items(self):
            assert ipckit.json_dumps({"inner": [1, "x"]}) == '{"inner":[1,"x"]}'
            return super().items()

    assert ipckit.json_dumps([1, Noisy(a=[2, {"b": 3}]), 4]) == '[1,{"a":[2,{"b":3}]},4]'
    assert ipckit.json_dumps_pretty(Noisy(a=1)) == '{\n  "a": 1\n}'


def test_dumps_compact_layout_and_integers():
    value = {"": [], "a": {}, "b": [[], [{}]], "c": [0, -1, 2**63 - 1, -2**63, 2**64 - 1, True, None],
             "d": [0.5, -0.0, 1e300]}
    assert ipckit.json_dumps(value) == (
        '{"":[],"a":{},"b":[[],[{}]],"c":[0,-1,9223372036854775807,-9223372036854775808,'
        '18446744073709551615,true,null],"d":[0.5,-0.0,1e300]}')
    for n in [0, 9, 10, 99, 100, 10**17, 10**18, 10**19, -(10**18)]:
        assert ipckit.json_dumps(n) == str(n)


def test_dumps_failure_midway_then_success():
    with pytest.raises(ValueError, match="NaN"):
        ipckit.json_dumps({"a": [1, 2, {"b": float("nan")}]})
    with pytest.raises(TypeError):
        ipckit.json_dumps([1, {2: 3}])
    assert ipckit.json_dumps({"a": [1]}) == '{"a":[1]}'  # no state left from the failures


def _stdlib_strict(text):
    """The stdlib's reading of a text, refusing what spec/json.md refuses and
    the stdlib allows (NaN/Infinity, lone surrogate escapes)."""
    def no_constant(name):
        raise ValueError(name)

    value = json.loads(text, parse_constant=no_constant)

    def check(v):
        if isinstance(v, str):
            v.encode("utf-8")  # raises for a lone surrogate
        elif isinstance(v, list):
            for item in v:
                check(item)
        elif isinstance(v, dict):
            for key, item in v.items():
                check(key)
                check(item)

    check(value)
    return value


_SEEDS = ['{"a":[1,-2.5e3,"x\\u00e9\\n",null,true,false,{}],"b":{"c":[[]]}}',
          '[0,-0,1e400,"\\ud83d\\ude00","é中",18446744073709551616]', '"\\\\\\"\\/"']
_PIECES = list('{}[]",:0123456789-+.eE \t\n\\u') + ["true", "null", "\\ud800", "é", "\x00", "\x1f"]


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(_SEEDS), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3),
                                                   st.sampled_from(_PIECES)), max_size=4))
def test_mutated_texts_agree_with_the_stdlib(seed, edits):
    """Whatever json_loads accepts, the stdlib reads as the same value; what it
    refuses, it refuses with the core's error."""
    text = list(seed)
    for at, cut, piece in edits:
        at = min(at, len(text))
        text[at:at + cut] = [piece]
    text = "".join(text)
    try:
        ours = ipckit.json_loads(text)
    except ipckit.IpcError as error:
        assert error.error_class in ("invalid_argument", "too_large")
        assert "at byte" in str(error)
        return
    theirs = _stdlib_strict(text)
    # Integers beyond 64 bits and "-0" are floats here, exact ints there.
    assert json.dumps(ours) == json.dumps(theirs) or ours == theirs
