"""ipckit 0.1.12's socket-server messages (spec/api_server.md) against the
shared vectors, and the HTTP text inside them."""
import json

import pytest

import ipckit
from ipckit._http_message import Request, Response, response_body, to_request_bytes
from ipckit._socket_message import binary_data, encode_binary, parse_frame

from conftest import VECTORS

CASES = json.loads((VECTORS / "api_server" / "messages.json").read_text())["cases"]
ERRORS = {"too_large": ipckit.TooLargeError, "truncated": ipckit.TruncatedError, "corrupt": ipckit.CorruptError}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    inp, expect = case["input"], case["expect"]
    if case["op"] == "api_request_encode":
        body = None if inp["body_json"] is None else json.loads(inp["body_json"])
        assert encode_binary(to_request_bytes(inp["method"], inp["path"], body)).hex() == expect["hex"]
    elif "error" in expect:
        with pytest.raises(ERRORS[expect["error"]]):
            parse_frame(bytes.fromhex(inp["hex"]))
    else:
        msg_type, payload = parse_frame(bytes.fromhex(inp["hex"]))
        got = {"msg_type": msg_type}
        if msg_type == "binary":
            got["data_hex"] = binary_data(payload).hex()
        else:
            got["payload_json"] = ipckit.json_dumps(payload)
        assert got == expect


def test_request_parse_reads_query_headers_and_json_body():
    request = Request.parse(to_request_bytes("POST", "/v1/x?a=1&b=two+words", {"k": [1]}))
    assert (request.method, request.path, request.query) == ("POST", "/v1/x", {"a": "1", "b": "two words"})
    assert request.header("CONTENT-TYPE") == "application/json" and request.body == {"k": [1]}


def test_request_with_short_body_is_refused():
    with pytest.raises(ipckit.InvalidArgumentError):
        Request.parse(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n{}")


def test_response_round_trip_gives_the_client_its_json():
    assert response_body(Response.not_found().to_bytes()) == {"error": "Not Found"}
    assert response_body(b"no blank line") is None
