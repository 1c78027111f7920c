// The portable core through both entry points (ESM and CommonJS): the JS
// value <-> JSON mapping, frames in pieces, message composition, errors.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { DIST_CJS, DIST_ESM, importReady } from './helpers.mjs';

const esm = await importReady(DIST_ESM);
const cjs = createRequire(import.meta.url)(DIST_CJS);

for (const [label, ipckit] of [['esm', esm], ['cjs', cjs]]) {
  describe(`${label}: JSON of JS values`, () => {
    test('integers stay integers, other numbers are floats in the spec form', () => {
      assert.equal(ipckit.jsonDumps([1, -7, 0, 2.5, 1e300, -0, 2 ** 53 - 1, 2 ** 53]),
        '[1,-7,0,2.5,1e300,-0.0,9007199254740991,9007199254740992.0]');
      assert.equal(ipckit.jsonDumps(0.1 + 0.2), '0.30000000000000004');
    });

    test('BigInt is an exact 64-bit integer; beyond that OutOfRangeError', () => {
      assert.equal(ipckit.jsonDumps([2n ** 64n - 1n, -(2n ** 63n)]), '[18446744073709551615,-9223372036854775808]');
      assert.throws(() => ipckit.jsonDumps(2n ** 64n), ipckit.OutOfRangeError);
    });

    test('loads keeps big integers exact as BigInt, small ones as numbers', () => {
      assert.deepEqual(ipckit.jsonLoads('[9007199254740991,9007199254740992,-9223372036854775808,1.0]'),
        [9007199254740991, 9007199254740992n, -(2n ** 63n), 1]);
      const v = ipckit.jsonLoads('{"a":{"b":[18446744073709551615]}}');
      assert.equal(ipckit.jsonDumps(v), '{"a":{"b":[18446744073709551615]}}');
    });

    test('strings: unicode passes through, control characters are escaped, lone surrogates refused', () => {
      assert.equal(ipckit.jsonDumps('é中😀\n\u0001"\\/'), '"é中😀\\n\\u0001\\"\\\\/"');
      assert.throws(() => ipckit.jsonDumps('\ud800'), ipckit.InvalidArgumentError);
      assert.throws(() => ipckit.jsonDumps({ ['\udc00']: 1 }), ipckit.InvalidArgumentError);
      assert.throws(() => ipckit.jsonLoads('"\\ud800"'), ipckit.InvalidArgumentError);
    });

    test('NaN and Infinity are refused, wherever they are', () => {
      for (const bad of [NaN, Infinity, [1, -Infinity], { a: { b: NaN } }]) {
        assert.throws(() => ipckit.jsonDumps(bad), ipckit.InvalidArgumentError);
      }
    });

    test('like JSON.stringify: undefined/functions skipped in objects, null in arrays, toJSON honoured', () => {
      const value = { a: undefined, b: () => 1, c: [undefined, Symbol('s')], d: new Date(0), e: 'ok' };
      assert.equal(ipckit.jsonDumps(value), '{"c":[null,null],"d":"1970-01-01T00:00:00.000Z","e":"ok"}');
      assert.throws(() => ipckit.jsonDumps(undefined), ipckit.InvalidArgumentError);
    });

    test('key order is insertion order; pretty output uses 2 spaces', () => {
      assert.equal(ipckit.jsonDumpsPretty({ z: 1, a: [true, null] }), '{\n  "z": 1,\n  "a": [\n    true,\n    null\n  ]\n}');
    });

    test('depth is bounded: a cycle or 513 levels is TooLargeError, not a crash', () => {
      const cyclic = { a: 1 };
      cyclic.self = cyclic;
      assert.throws(() => ipckit.jsonDumps(cyclic), ipckit.TooLargeError);
      assert.throws(() => ipckit.jsonLoads('['.repeat(513) + ']'.repeat(513)), ipckit.TooLargeError);
      assert.equal(ipckit.jsonLoads('['.repeat(512) + ']'.repeat(512)).length, 1);
    });

    test('loads accepts UTF-8 bytes and validates them', () => {
      assert.deepEqual(ipckit.jsonLoads(new Uint8Array([0x5b, 0x22, 0xc3, 0xa9, 0x22, 0x5d])), ['é']);
      assert.throws(() => ipckit.jsonLoads(new Uint8Array([0x22, 0xff, 0x22])), ipckit.InvalidArgumentError);
    });
  });

  describe(`${label}: frames`, () => {
    test('a stream cut anywhere decodes to the same payloads', () => {
      const stream = Buffer.concat(['one', '', 'three'.repeat(1000)].map((p) => ipckit.encodeFrame(p)));
      for (const piece of [1, 3, 7, 4096, stream.length]) {
        const d = new ipckit.FrameDecoder();
        const got = [];
        for (let i = 0; i < stream.length; i += piece) {
          d.push(stream.subarray(i, i + piece));
          let p;
          while ((p = d.next()) !== null) got.push(Buffer.from(p).toString());
        }
        d.finish();
        d.dispose();
        assert.deepEqual(got, ['one', '', 'three'.repeat(1000)], `pieces of ${piece}`);
      }
    });

    test('an over-limit header is refused before its payload arrives', () => {
      const d = new ipckit.FrameDecoder({ maxPayload: 10 });
      d.push(ipckit.encodeFrame('ok'));
      d.push(new Uint8Array([11, 0, 0, 0]));
      assert.equal(Buffer.from(d.next()).toString(), 'ok');
      assert.throws(() => d.next(), ipckit.TooLargeError);
      assert.ok(d.error instanceof ipckit.TooLargeError);
      assert.throws(() => d.push(new Uint8Array([1])), ipckit.TooLargeError);
      d.dispose();
      assert.throws(() => d.next(), ipckit.ClosedError);
    });

    test('frameHeader checks the limit; bad options are InvalidArgumentError', () => {
      assert.deepEqual([...ipckit.frameHeader(258)], [2, 1, 0, 0]);
      assert.throws(() => ipckit.frameHeader(17 * 1024 * 1024), ipckit.TooLargeError);
      assert.throws(() => ipckit.encodeFrame('x', { maxPayload: -1 }), ipckit.InvalidArgumentError);
      assert.throws(() => ipckit.encodeFrame(42), ipckit.InvalidArgumentError);
    });
  });

  describe(`${label}: FileChannel format`, () => {
    test('compose, parse and append keep messages exact', () => {
      const m = {
        id: 'a1', timestamp: 1700000000000, type: 'request', method: 'get', payload: { k: [1, 'v'] }, seq: 1, sender: 's',
      };
      const text = ipckit.composeMessage(m);
      assert.equal(text, '{"id":"a1","timestamp":1700000000000,"type":"request","method":"get","payload":{"k":[1,"v"]},"seq":1,"sender":"s"}');
      const file = ipckit.composeChannelFile([text]);
      assert.deepEqual(ipckit.parseChannelFile(file), [{ ...m }]);
      const { bytes, kept, pruned } = ipckit.appendToChannelText(file, [text.replace('a1', 'a2')], { nowMs: m.timestamp });
      assert.equal(kept, 1);
      assert.equal(pruned, 0);
      assert.deepEqual(ipckit.parseChannelFile(bytes).map((x) => x.id), ['a1', 'a2']);
    });

    test('retention (format 2): maxMessages bounds young messages too; named readers prune what all took, after ackGraceMs', () => {
      const msg = (i) => ipckit.composeMessage({ id: `m${i}`, timestamp: 1000 + i, type: 'event', method: 'e' });
      const three = ipckit.appendToChannelText('', [0, 1, 2].map(msg), { nowMs: 1003 });
      assert.deepEqual(ipckit.parseChannelFile(three.bytes).map((x) => x.pos), [1, 2, 3]);
      const bounded = ipckit.appendToChannelText(three.bytes, [msg(3)], { retention: { maxMessages: 2 }, nowMs: 1004 });
      assert.deepEqual(ipckit.parseChannelFile(bounded.bytes).map((x) => x.id), ['m2', 'm3']);
      // Two readers; one has taken up to pos 2, so only pos 1 and 2 may go, once ackGraceMs old.
      const ack = (nowMs) => ipckit.appendToChannelText(three.bytes, [msg(9)],
        { retention: { ackGraceMs: 500 }, nowMs, readerPositions: [3, 2] });
      assert.equal(ack(1100).pruned, 0);
      assert.deepEqual(ipckit.parseChannelFile(ack(5000).bytes).map((x) => x.id), ['m2', 'm9']);
      // No named reader: nothing is acknowledged.
      assert.equal(ipckit.appendToChannelText(three.bytes, [msg(9)], { nowMs: 100000 }).pruned, 0);
    });

    test('ChannelFileWriter appends as appendToChannelText does, across other writers and rewrites', () => {
      const writer = new ipckit.ChannelFileWriter();
      const retention = { maxMessages: 3, minAgeMs: 10 };
      const msg = (id, ts) => ipckit.composeMessage({ id, timestamp: ts, type: 'event', method: 'e' });
      let file = new Uint8Array(0);
      for (let i = 0; i < 10; ++i) {
        const nowMs = 1000 + 5 * i;
        if (i % 3 === 2) file = ipckit.appendToChannelText(file, [msg(`other${i}`, nowMs)], { retention, nowMs }).bytes;
        if (i % 4 === 3) file = new TextEncoder().encode(new TextDecoder().decode(file).replaceAll(',\n', ' , '));
        const options = { retention, nowMs };
        const expected = ipckit.appendToChannelText(file, [msg(`m${i}`, nowMs)], options);
        const got = writer.append(file, [msg(`m${i}`, nowMs)], options);
        assert.deepEqual(got, expected, `round ${i}`);
        file = got.bytes;
      }
      assert.deepEqual(ipckit.parseChannelFile(file).map((x) => x.id).slice(-1), ['m9']);
      // A corrupt file is refused, and the writer still works afterwards.
      const corrupt = new TextDecoder().decode(file).replace(/\]\s*$/, ',{"id":');
      assert.throws(() => writer.append(corrupt, [msg('x', 2000)], { label: '/d/x.json' }),
        (err) => err instanceof ipckit.CorruptError && err.message.includes('/d/x.json'));
      const after = { retention, nowMs: 2000 };
      assert.deepEqual(writer.append(file, [msg('y', 2000)], after), ipckit.appendToChannelText(file, [msg('y', 2000)], after));
      writer.dispose();
      assert.throws(() => writer.append(file, []), ipckit.InvalidArgumentError);
    });

    test('computeSplice/applySplice rebuild a pruned-and-appended file byte for byte', () => {
      const msg = (i) => ipckit.composeMessage({ id: `m${i}`, timestamp: 1000 + i, type: 'event', method: 'e', payload: { i } });
      const file = (a, b) => ipckit.composeChannelFile(Array.from({ length: b - a }, (_, k) => msg(a + k)));
      const oldFile = file(0, 30);
      const newFile = file(4, 33);
      const s = ipckit.computeSplice(oldFile, newFile);
      assert.ok(s && s.body.length < newFile.length / 4, 'only the new messages are in the body');
      assert.equal(new TextDecoder().decode(ipckit.applySplice(oldFile, s.at, s.from, s.to, s.body)), newFile);
      assert.equal(ipckit.computeSplice(file(0, 30), file(50, 60)), null, 'nothing shared');
      assert.throws(() => ipckit.applySplice(oldFile, s.at, s.from, oldFile.length + 1, s.body), ipckit.CorruptError);
      assert.throws(() => ipckit.applySplice(oldFile, s.body.length + 1, s.from, s.to, s.body), ipckit.CorruptError);
    });

    test('Inbox delivers each message once and reports pruned ones as DataLossError', () => {
      const inbox = new ipckit.Inbox();
      const msg = (seq) => ipckit.composeMessage({ id: `id${seq}`, timestamp: 1, type: 'event', method: 'e', seq, sender: 'w' });
      assert.deepEqual(inbox.takeNew(ipckit.composeChannelFile([msg(1), msg(2)])).map((m) => m.seq), [1, 2]);
      assert.deepEqual(inbox.takeNew(ipckit.composeChannelFile([msg(1), msg(2)])), []);
      // 3 and 4 were pruned before this reader saw them.
      const later = ipckit.composeChannelFile([msg(5)]);
      assert.throws(() => inbox.takeNew(later), ipckit.DataLossError);
      assert.deepEqual(inbox.takeNew(later).map((m) => m.seq), [5]);
      assert.throws(() => inbox.takeNew('[{"id":'), ipckit.CorruptError);
      inbox.dispose();
    });

    test('bad messages are refused with the right class', () => {
      assert.throws(() => ipckit.parseMessage('{"id":"x"}'), ipckit.CorruptError);
      assert.throws(() => ipckit.composeMessage({ id: '', type: 'event', timestamp: 1 }), ipckit.InvalidArgumentError);
      assert.throws(() => ipckit.composeMessage({ id: 'x', type: 'nope' }), ipckit.InvalidArgumentError);
      assert.throws(() => ipckit.validateChannelInfo('{"protocol":"file-ipc","version":"1.0","format_version":3}'),
        ipckit.UnsupportedVersionError);
      ipckit.validateChannelInfo(ipckit.composeChannelInfo(5));
    });
  });

  describe(`${label}: names and errors`, () => {
    test('socket paths follow spec/naming.md', () => {
      assert.equal(ipckit.socketPathFor('jobs'), '/tmp/jobs.sock');
      assert.equal(ipckit.socketPathFor('/run/x.sock'), '/run/x.sock');
      assert.throws(() => ipckit.validateName('a b'), ipckit.InvalidArgumentError);
    });

    test('every error is an IpckitError with its class', () => {
      const e = ipckit.makeError('timeout', 'slow');
      assert.ok(e instanceof ipckit.TimeoutError && e instanceof ipckit.IpckitError && e instanceof Error);
      assert.equal(e.errorClass, 'timeout');
      assert.equal(e.name, 'TimeoutError');
      const sys = ipckit.fromSystemError(Object.assign(new Error('no such file'), { code: 'ENOENT' }), "open 'x'");
      assert.ok(sys instanceof ipckit.NotFoundError);
      assert.equal(sys.message, "open 'x': no such file");
    });
  });
}

test('both entry points expose the same API', () => {
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.equal(cjs.VERSION, esm.VERSION);
});
