// The shared conformance vectors (conformance/vectors/<area>/*.json) run
// through the package's WASM core: every case of every file, and an area with
// zero cases fails.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test, describe } from 'node:test';
import {
  DIST_ESM, VECTORS_DIR, hex, importReady, losslessParse, losslessStringify, plain, unhex,
} from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
// Format 2's reader functions, straight from the WASM core (spec/file_channel.md "Format 2").
const { core } = await import(path.join(path.dirname(DIST_ESM), 'core.js'));
// The bridge client's event parser, read back against the bytes the bridge sends.
const { parseEventBlock } = await import(path.join(path.dirname(DIST_ESM), 'bridge_file_channel.js'));

function loadArea(area) {
  const dir = path.join(VECTORS_DIR, area);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  return files.map((f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const doc = JSON.parse(text);
    assert.equal(doc.format, 'ipckit-vectors', `${f}: format`);
    // The same cases with every number's spelling kept (payloads need it).
    const lossless = losslessParse(text).cases;
    doc.cases.forEach((c, i) => { c.lossless = lossless[i]; });
    return { file: f, doc };
  });
}

// Runs `fn` on a case and compares the outcome: an error class or a value.
function expectOutcome(c, fn, compare) {
  let value;
  try {
    value = fn();
  } catch (err) {
    if (c.expect.error === undefined) throw err;
    assert.ok(err instanceof ipckit.IpckitError, `${c.name}: expected an IpckitError, got ${err}`);
    assert.equal(err.errorClass, c.expect.error, `${c.name}: ${err.message}`);
    return;
  }
  assert.equal(c.expect.error, undefined, `${c.name}: expected error ${c.expect.error}, got a value`);
  compare(value);
}

// The value of a core result ({value} or {error, message}).
function coreValue(r) {
  if (r.error !== undefined) throw new Error(`core error ${r.error}: ${r.message}`);
  return r.value;
}

function f64FromBits(bits) {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

// The message fields of a vector (snake_case, payload as a lossless JSON
// value) as composeMessage takes them.
function messageSpec(m) {
  const spec = {
    id: m.id,
    timestamp: m.timestamp === undefined ? undefined : plain(m.timestamp),
    type: m.type,
    method: m.method ?? undefined,
    replyTo: m.reply_to ?? undefined,
    payloadJson: m.payload === undefined ? 'null' : losslessStringify(m.payload),
    error: m.error ?? undefined,
    seq: m.seq === undefined || m.seq === null ? undefined : plain(m.seq),
    sender: m.sender ?? undefined,
    pos: m.pos === undefined || m.pos === null ? undefined : plain(m.pos),
  };
  return spec;
}

const runners = {
  bridge_sse_event(c) {
    const e = parseEventBlock(unhex(c.expect.hex));
    assert.deepEqual({ type: e.type, id: e.id ?? '', header: e.header, body_hex: hex(e.body) }, c.input, c.name);
  },
  bridge_splice_apply(c) {
    const i = c.input;
    expectOutcome(c, () => ipckit.applySplice(unhex(i.base_hex), i.at, i.from, i.to, unhex(i.body_hex)),
      (rebuilt) => assert.equal(hex(rebuilt), c.expect.hex, c.name));
  },
  frame_encode(c) {
    const options = c.input.max_payload === undefined ? {} : { maxPayload: c.input.max_payload };
    expectOutcome(c, () => ipckit.encodeFrame(unhex(c.input.payload_hex), options),
      (frame) => assert.equal(hex(frame), c.expect.hex, c.name));
  },
  frame_decode(c) {
    const options = c.input.max_payload === undefined ? {} : { maxPayload: c.input.max_payload };
    const whole = ipckit.decodeFrames(unhex(c.input.hex), options);
    assert.deepEqual(whole.payloads.map(hex), c.expect.payloads_hex, `${c.name}: payloads`);
    assert.equal(whole.error ? whole.error.errorClass : undefined, c.expect.error, `${c.name}: error`);
    // The streaming decoder, fed byte by byte, must agree.
    const decoder = new ipckit.FrameDecoder(options);
    const got = [];
    let error;
    try {
      for (const b of unhex(c.input.hex)) {
        decoder.push(new Uint8Array([b]));
        let p;
        while ((p = decoder.next()) !== null) got.push(hex(p));
      }
      decoder.finish();
    } catch (err) {
      // next() hands out every frame before the error, then throws it.
      error = err.errorClass;
    } finally {
      decoder.dispose();
    }
    assert.deepEqual(got, c.expect.payloads_hex, `${c.name}: streamed payloads`);
    assert.equal(error, c.expect.error, `${c.name}: streamed error`);
  },
  json_dumps(c, pretty = false) {
    const expectText = (text) => assert.equal(text, c.expect.text, c.name);
    if (c.input.value_json !== undefined) {
      expectOutcome(c, () => ipckit.jsonCanonical(c.input.value_json, { pretty }), expectText);
    } else if (c.input.f64_bits !== undefined) {
      const x = f64FromBits(c.input.f64_bits);
      expectOutcome(c, () => ipckit.jsonFormatDouble(x), expectText);
      // The JS value path: a double that is not an integer, or -0, is written
      // as the same float text; NaN/Infinity fail the same way.
      if (!Number.isInteger(x) || Object.is(x, -0)) {
        expectOutcome(c, () => (pretty ? ipckit.jsonDumpsPretty(x) : ipckit.jsonDumps(x)), expectText);
      }
    } else if (c.input.string_hex !== undefined) {
      expectOutcome(c, () => ipckit.jsonQuoteUtf8(unhex(c.input.string_hex)), expectText);
    } else {
      assert.fail(`${c.name}: unknown input ${JSON.stringify(c.input)}`);
    }
  },
  json_dumps_pretty(c) {
    runners.json_dumps(c, true);
  },
  json_loads(c) {
    const text = c.input.text_hex !== undefined ? unhex(c.input.text_hex) : c.input.text;
    expectOutcome(c, () => ipckit.jsonCanonical(text), (canonical) => assert.equal(canonical, c.expect.canonical, c.name));
    // jsonLoads agrees on success/failure, and on the value where JS can hold
    // it exactly (JSON.parse of the canonical map/text as the reference).
    expectOutcome(c, () => ipckit.jsonLoads(text), (value) => {
      const reference = c.expect.canonical_map ?? c.expect.canonical;
      if (!/\d{16,}|e\d{2,}|-0\.0/.test(reference)) assert.deepEqual(value, JSON.parse(reference), `${c.name}: value`);
    });
  },
  file_channel_compose(c) {
    expectOutcome(c, () => ipckit.composeMessage(messageSpec(c.lossless.input.message)),
      (text) => assert.equal(text, c.expect.text, c.name));
  },
  file_channel_parse(c) {
    const text = c.input.text_hex !== undefined ? unhex(c.input.text_hex) : c.input.text;
    expectOutcome(c, () => ipckit.parseChannelFile(text, 'vector', { payloadJson: true }), (messages) => {
      const expected = c.lossless.expect.messages;
      assert.equal(messages.length, expected.length, `${c.name}: count`);
      messages.forEach((m, i) => {
        const e = messageSpec(expected[i]);
        // Field by field, then the whole message through the core's writer.
        for (const k of ['id', 'timestamp', 'type', 'method', 'replyTo', 'error', 'seq', 'sender']) {
          assert.equal(m[k], e[k], `${c.name}: message ${i} ${k}`);
        }
        assert.equal(m.payloadJson, ipckit.jsonCanonical(e.payloadJson), `${c.name}: message ${i} payload`);
        assert.equal(ipckit.composeMessage(m), ipckit.composeMessage(e), `${c.name}: message ${i}`);
      });
      // The value path agrees where JS numbers can hold the payloads.
      if (!/\d{16,}|\.0\b|e\d/.test(losslessStringify(expected))) {
        assert.deepEqual(ipckit.parseChannelFile(text).map((m) => m.payload),
          expected.map((m) => plain(m.payload ?? null)), `${c.name}: payload values`);
      }
    });
  },
  file_channel_retain(c) {
    const input = c.lossless.input;
    const readers = Object.entries(c.input.readers);
    const options = {
      nowMs: plain(input.now_ms), maxMessages: plain(input.max_messages), ackGraceMs: plain(input.ack_grace_ms),
      maxBytes: input.max_bytes === undefined ? undefined : plain(input.max_bytes),
      readerPositions: readers.map(([, cursor]) => plain(cursor.pos)),
    };
    // The core takes file contents as bytes.
    let file = input.existing === null ? new Uint8Array(0) : Buffer.from(input.existing);
    for (const m of input.sends) {
      file = coreValue(core().appendToChannelTextWithOptions(file, 'vector', [ipckit.composeMessage(messageSpec(m))], options)).bytes;
    }
    assert.equal(Buffer.from(file).toString('utf8'), c.expect.text, `${c.name}: text`);
    assert.deepEqual(ipckit.parseChannelFile(file).map((m) => m.id), c.expect.file_ids, `${c.name}: file_ids`);
    for (const [name, cursor] of readers) {
      const want = c.expect.readers[name];
      const inbox = new (core().NamedInbox)(cursor);
      try {
        const take = () => coreValue(inbox.takeNew(file, 'vector', false)).map((m) => m.id);
        if (want.error !== undefined) {
          const lost = inbox.takeNew(file, 'vector', false);
          assert.equal(lost.error, want.error, `${c.name}: ${name} error class`);
          assert.deepEqual(take(), want.new_ids_after_error, `${c.name}: ${name} new_ids_after_error`);
        } else {
          assert.deepEqual(take(), want.new_ids, `${c.name}: ${name} new_ids`);
        }
        const after = inbox.cursor();
        assert.deepEqual({ pos: after.pos, ids: after.ids }, want.cursor, `${c.name}: ${name} cursor`);
        assert.deepEqual(take(), [], `${c.name}: ${name} a further read takes nothing`);
      } finally {
        inbox.delete();
      }
    }
  },
  file_channel_claim(c) {
    const i = c.input;
    const parsed = core().parseClaims(Buffer.from(i.claims), 'claims');
    if (c.expect.error !== undefined) {
      assert.equal(parsed.error, c.expect.error, c.name);
      return;
    }
    const claims = coreValue(parsed).map((e) => ({
      ...e, alive: e.reader === '' ? i.alive_pids.includes(e.pid) : i.alive_readers.includes(e.reader),
    }));
    const requestIds = ipckit.parseChannelFile(i.request_file).map((m) => m.id);
    const d = coreValue(core().decideClaim(i.request_id, claims, requestIds, Buffer.from(i.reply_file), i.mine));
    assert.equal(d.outcome, c.expect.outcome, `${c.name}: outcome`);
    if (c.expect.claims !== undefined) assert.equal(d.claims, c.expect.claims, `${c.name}: claims`);
  },
  file_channel_reader_file(c) {
    const { kind, text } = c.input;
    const bytes = Buffer.from(text);
    const parsed = kind === 'cursor' ? core().parseReaderCursor(bytes, 'cursor') : core().parseClaims(bytes, 'claims');
    if (c.expect.error !== undefined) {
      assert.equal(parsed.error, c.expect.error, c.name);
      return;
    }
    const value = coreValue(parsed);
    assert.deepEqual(value, kind === 'cursor' ? c.expect.value : c.expect.value.map((e) => ({
      requestId: e.request_id, reader: e.reader, pid: e.pid, at: e.at,
    })), `${c.name}: value`);
    assert.equal(kind === 'cursor' ? core().composeReaderCursor(value) : core().composeClaims(value), c.expect.text,
      `${c.name}: text`);
  },
  file_channel_merge(c) {
    const input = c.lossless.input;
    const options = {
      label: 'vector',
      nowMs: plain(input.now_ms),
      retention: { maxMessages: plain(input.max_messages), minAgeMs: plain(input.min_age_ms) },
      maxFileBytes: input.max_file_bytes === undefined ? undefined : plain(input.max_file_bytes),
    };
    expectOutcome(c, () => {
      // One write per send, each the whole append step.
      let file = input.existing === null ? new Uint8Array(0) : input.existing;
      for (const m of input.sends) file = ipckit.appendToChannelText(file, [ipckit.composeMessage(messageSpec(m))], options).bytes;
      return file;
    }, (file) => {
      assert.equal(Buffer.from(file).toString('utf8'), c.expect.text, `${c.name}: text`);
      assert.deepEqual(ipckit.parseChannelFile(file).map((m) => m.id), c.expect.file_ids, `${c.name}: file_ids`);
      const inbox = new ipckit.Inbox();
      try {
        if (input.reader_seen !== null) inbox.takeNew(input.reader_seen);
        const ids = () => inbox.takeNew(file).map((m) => m.id);
        if (c.expect.reader_error !== undefined) {
          assert.throws(ids, (err) => err.errorClass === c.expect.reader_error, `${c.name}: reader_error`);
          assert.deepEqual(ids(), c.expect.new_ids_after_error, `${c.name}: new_ids_after_error`);
        } else {
          assert.deepEqual(ids(), c.expect.new_ids, `${c.name}: new_ids`);
        }
        assert.deepEqual(ids(), [], `${c.name}: a further read takes nothing`);
      } finally {
        inbox.dispose();
      }
    });
  },
};

for (const area of ['frame', 'json', 'file_channel', 'bridge']) {
  describe(`vectors/${area}`, () => {
    const files = loadArea(area);
    const total = files.reduce((n, f) => n + f.doc.cases.length, 0);
    test('has cases', () => assert.ok(total > 0, `conformance/vectors/${area} has no cases`));
    for (const { file, doc } of files) {
      test(file, () => {
        assert.ok(doc.cases.length > 0, `${file} has zero cases`);
        for (const c of doc.cases) {
          const run = runners[c.op];
          assert.ok(run, `${c.name}: op ${c.op} is not implemented by the JS tests`);
          run(c);
        }
      });
    }
  });
}
