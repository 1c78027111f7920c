#!/usr/bin/env node
// Conformance testee over the JS package (WASM core + Node transports).
//
//   IPCKIT_JS_DIST=js/dist node conformance/js/testee.mjs     (default: js/dist of this repo)
//   python3 conformance/tester.py --impl js --testee "node conformance/js/testee.mjs"
//
// Protocol: conformance/protocol.md. Everything goes through the package's
// public exports: frames, JSON, the FileChannel format functions and Inbox,
// and IpcChannel / FileChannel for the live roles (the package has no
// NamedPipe or SharedMemory). JS strings cannot hold ill-formed UTF-8, so
// string_hex inputs are quoted with jsonQuoteUtf8, the package's function for
// raw UTF-8 bytes.
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.IPCKIT_JS_DIST || path.join(here, '..', '..', 'js', 'dist');
const ipckit = await import(pathToFileURL(path.join(path.resolve(dist), 'esm', 'index.js')).href);
// The core loads lazily; the ops below call its synchronous functions.
await ipckit.ready();
// Format 2's reader functions come straight from the WASM core
// (spec/file_channel.md, "Vectors and core functions").
const { core } = await import(pathToFileURL(path.join(path.resolve(dist), 'esm', 'core.js')).href);

// ---------------------------------------------------------------- protocol I/O

let input = Buffer.alloc(0);
let ended = false;
const readers = [];
function takeRequest() {
  if (input.length < 4) return undefined;
  const n = input.readUInt32LE(0);
  if (input.length < 4 + n) return undefined;
  const body = input.subarray(4, 4 + n);
  input = input.subarray(4 + n);
  return JSON.parse(body.toString('utf8'));
}
function pump() {
  while (readers.length) {
    const request = takeRequest();
    if (request !== undefined) readers.shift()(request);
    else if (ended) readers.shift()(null);
    else break;
  }
}
process.stdin.on('data', (chunk) => { input = Buffer.concat([input, chunk]); pump(); });
process.stdin.on('end', () => { ended = true; pump(); });
const readRequest = () => new Promise((resolve) => { readers.push(resolve); pump(); });

function writeAnswer(answer) {
  // Integers beyond 2^53 come back from the core as BigInt; JSON has no
  // other way to carry them than as numbers, which loses nothing below 2^53.
  const body = Buffer.from(JSON.stringify(answer, (k, v) => (typeof v === 'bigint' ? Number(v) : v)), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  process.stdout.write(Buffer.concat([head, body]));
}
const errorClass = (err) => (err && typeof err.errorClass === 'string' ? err.errorClass : 'unclassified');
const failure = (err) => ({ ok: false, error: errorClass(err), message: String(err && err.message) });
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (b) => Buffer.from(b).toString('hex');
const textOf = (inp) => ('text_hex' in inp ? bytes(inp.text_hex) : inp.text);

// -------------------------------------------------------------------- ops

function dumpsWith(dump, inp) {
  if ('string_hex' in inp) return { text: ipckit.jsonQuoteUtf8(bytes(inp.string_hex)) };
  if ('f64_bits' in inp) return { text: dump(Buffer.from(inp.f64_bits, 'hex').readDoubleBE(0)) };
  return { text: dump(ipckit.jsonLoads(inp.value_json)) };
}
const toMessage = (m) => {
  const out = { id: m.id, timestamp: m.timestamp, type: m.type };
  if (m.method !== undefined) out.method = m.method;
  if (m.replyTo !== undefined) out.reply_to = m.replyTo;
  out.payload = m.payload;
  for (const k of ['error', 'seq', 'sender', 'pos']) if (m[k] !== undefined) out[k] = m[k];
  return out;
};
const fromMessage = (m) => ({ ...m, replyTo: m.reply_to, reply_to: undefined });
const ids = (messages) => messages.map((m) => m.id);
// A core result's value; its error ({error, message}) thrown as the testee reports it.
const coreValue = (r) => {
  if (r && r.error !== undefined) throw Object.assign(new Error(r.message), { errorClass: r.error });
  return r.value;
};
const cursorOut = (c) => ({ pos: c.pos, ids: c.ids });

const OPS = {
  file_channel_retain: (i) => {
    const readers = Object.entries(i.readers);
    const options = { nowMs: i.now_ms, maxMessages: i.max_messages, ackGraceMs: i.ack_grace_ms, maxBytes: i.max_bytes,
      readerPositions: readers.map(([, c]) => c.pos) };
    let file = Buffer.from(i.existing ?? '');
    for (const send of i.sends) {  // one write per send
      file = coreValue(core().appendToChannelTextWithOptions(file, 'existing',
        [ipckit.composeMessage(fromMessage(send))], options)).bytes;
    }
    const out = { text: Buffer.from(file).toString('utf8'), file_ids: ids(ipckit.parseChannelFile(file, 'merged')),
      readers: {} };
    for (const [name, cursor] of readers) {
      const inbox = new (core().NamedInbox)(cursor);
      try {
        const r = {};
        const first = inbox.takeNew(file, 'merged', false);
        if (first.error !== undefined) {
          r.error = first.error;  // reported once; the next read goes on
          r.new_ids_after_error = ids(coreValue(inbox.takeNew(file, 'merged', false)));
        } else {
          r.new_ids = ids(first.value);
        }
        r.cursor = cursorOut(inbox.cursor());
        out.readers[name] = r;
      } finally {
        inbox.delete();
      }
    }
    return out;
  },
  file_channel_claim: (i) => {
    const claims = coreValue(core().parseClaims(Buffer.from(i.claims), 'claims')).map((e) => ({
      ...e, alive: e.reader === '' ? i.alive_pids.includes(e.pid) : i.alive_readers.includes(e.reader),
    }));
    const requestIds = ids(ipckit.parseChannelFile(i.request_file, 'request_file'));
    const d = coreValue(core().decideClaim(i.request_id, claims, requestIds, Buffer.from(i.reply_file), i.mine));
    return d.claims === undefined ? { outcome: d.outcome } : { outcome: d.outcome, claims: d.claims };
  },
  file_channel_reader_file: (i) => {
    const text = Buffer.from(i.text);
    if (i.kind === 'cursor') {
      const c = coreValue(core().parseReaderCursor(text, 'cursor'));
      return { value: c, text: core().composeReaderCursor(c) };
    }
    const claims = coreValue(core().parseClaims(text, 'claims'));
    return {
      value: claims.map((e) => ({ request_id: e.requestId, reader: e.reader, pid: e.pid, at: e.at })),
      text: core().composeClaims(claims),
    };
  },
  frame_encode: (i) => ({ hex: hex(ipckit.encodeFrame(bytes(i.payload_hex), { maxPayload: i.max_payload })) }),
  frame_decode: (i) => {
    const r = ipckit.decodeFrames(bytes(i.hex), { maxPayload: i.max_payload });
    const out = { payloads_hex: r.payloads.map(hex) };
    if (r.error) out.error = errorClass(r.error);
    return out;
  },
  json_dumps: (i) => dumpsWith(ipckit.jsonDumps, i),
  json_dumps_pretty: (i) => dumpsWith(ipckit.jsonDumpsPretty, i),
  json_loads: (i) => ({ canonical: ipckit.jsonDumps(ipckit.jsonLoads(textOf(i))) }),
  bridge_splice_apply: (i) => ({ hex: hex(ipckit.applySplice(bytes(i.base_hex), i.at, i.from, i.to, bytes(i.body_hex))) }),
  file_channel_parse: (i) => ({ messages: ipckit.parseChannelFile(textOf(i), 'vector input').map(toMessage) }),
  file_channel_compose: (i) => ({ text: ipckit.composeMessage(fromMessage(i.message)) }),
  file_channel_merge: (i) => {
    let text = i.existing ?? '';
    const retention = { maxMessages: i.max_messages, minAgeMs: i.min_age_ms };
    for (const send of i.sends) {  // one write per send
      const r = ipckit.appendToChannelText(text, [ipckit.composeMessage(fromMessage(send))],
        { retention, nowMs: i.now_ms, maxFileBytes: i.max_file_bytes });
      text = Buffer.from(r.bytes).toString('utf8');
    }
    const out = { text, file_ids: ids(ipckit.parseChannelFile(text, 'merged')) };
    const reader = new ipckit.Inbox();
    try {
      if (i.reader_seen != null) reader.takeNew(i.reader_seen, 'reader_seen');
      try {
        out.new_ids = ids(reader.takeNew(text, 'merged'));
      } catch (err) {
        if (!err || err.errorClass !== 'data_loss') throw err;
        out.reader_error = err.errorClass;  // reported once; the next read goes on
        out.new_ids_after_error = ids(reader.takeNew(text, 'merged'));
      }
    } finally {
      reader.dispose();
    }
    return out;
  },
};

// ------------------------------------------------------------- live roles

async function runSteps(steps, doStep) {
  const results = [];
  for (const step of steps) {
    if (step.do === 'await') {
      writeAnswer({ ok: true, waiting: true });
      if ((await readRequest()) === null) process.exit(0);  // {"op":"continue"}
      results.push(null);
      continue;
    }
    try {
      results.push((await doStep(step, results)) ?? null);
    } catch (err) {
      results.push({ error: errorClass(err), message: String(err && err.message) });
      break;
    }
  }
  return results;
}

async function channelRole(req, ready) {
  const o = { timeoutMs: req.timeout_ms };
  const server = req.role === 'channel_server';
  const ch = server ? await ipckit.IpcChannel.create(req.name) : await ipckit.IpcChannel.connect(req.name, o);
  try {
    ready();
    if (server) await ch.waitForClient(o);
    return await runSteps(req.steps, async (s) => {
      if (s.do === 'send') return void (await ch.send(bytes(s.hex), o));
      if (s.do === 'send_json') return void (await ch.sendJson(ipckit.jsonLoads(s.value_json), o));
      if (s.do === 'recv') return { hex: hex(await ch.recv(o)) };
      if (s.do === 'recv_json') return { canonical: ipckit.jsonDumps(await ch.recvJson(o)) };
      throw new ipckit.InvalidArgumentError(`unknown step ${s.do}`);
    });
  } finally {
    ch.close();
  }
}

async function fileRole(req, ready) {
  const t = req.timeout_ms;
  const ch = await ipckit.FileChannel.open(req.dir, req.role === 'file_backend' ? 'backend' : 'frontend',
    { requestTimeoutMs: t, sendTimeoutMs: t });
  const inbox = [];        // messages received, not yet taken by a recv step
  const requests = [];     // ids of the requests received, in order
  const pending = {};      // step index -> the promise of its sendRequest
  let wake = () => {};
  const arrive = (m) => { inbox.push(m); wake(); };
  // Requests are answered by hand (send_response / send_error steps), so the
  // handler only records them and never settles.
  ch.onRequest('*', (payload, m) => { requests.push(m.id); arrive(m); return new Promise(() => {}); });
  ch.onEvent('*', (payload, m) => arrive(m));
  try {
    ready();
    return await runSteps(req.steps, async (s, results) => {
      const o = { timeoutMs: t };
      switch (s.do) {
        case 'send_request':
          pending[results.length] = ch.sendRequest(s.method, ipckit.jsonLoads(s.payload_json), o);
          pending[results.length].catch(() => {});  // judged by wait_response
          return null;
        case 'send_response': return void (await ch.sendResponse(requests[s.request], ipckit.jsonLoads(s.payload_json), o));
        case 'send_error': return void (await ch.sendError(requests[s.request], s.error, o));
        case 'send_event':
          return void (await ch.sendEvent(s.name, ipckit.jsonLoads(s.payload_json), { ...o, timestampMs: s.timestamp_ms }));
        case 'wait_response':
          try {
            return { response: { payload_json: ipckit.jsonDumps(await pending[s.request_step]) } };
          } catch (err) {
            if (!(err instanceof ipckit.RemoteError)) throw err;
            return { response: { payload_json: ipckit.jsonDumps(err.response.payload), error: err.response.error } };
          }
        case 'recv': {
          const deadline = Date.now() + t;
          while (inbox.length < s.count) {
            const left = deadline - Date.now();
            if (left <= 0) throw new ipckit.TimeoutError(`received ${inbox.length} of ${s.count} messages`);
            await new Promise((resolve) => { wake = resolve; setTimeout(resolve, left); });
          }
          return { messages: inbox.splice(0, s.count).map((m) => {
            const r = toMessage(m);
            r.payload_json = ipckit.jsonDumps(r.payload);
            delete r.payload;
            delete r.seq;  // writer metadata, which the live scripts do not compare
            delete r.sender;
            delete r.pos;
            return r;
          }) };
        }
        default: throw new ipckit.InvalidArgumentError(`unknown step ${s.do}`);
      }
    });
  } finally {
    await ch.close();
  }
}

const ROLES = { channel_server: channelRole, channel_client: channelRole, file_backend: fileRole, file_frontend: fileRole };

// -------------------------------------------------------------- main loop

for (;;) {
  const req = await readRequest();
  if (req === null || req.op === 'bye') break;
  if (req.op === 'hello') {
    writeAnswer({ ok: true, impl: 'js', impl_version: ipckit.VERSION, format_version: ipckit.FORMAT_VERSION,
      protocol_version: 1, json_objects: 'map', ops: [...Object.keys(OPS), 'live'], roles: Object.keys(ROLES) });
  } else if (req.op === 'live' && ROLES[req.role]) {
    try {
      const results = await ROLES[req.role](req, () => writeAnswer({ ok: true, ready: true }));
      writeAnswer({ ok: true, output: { results } });
    } catch (err) {
      writeAnswer(failure(err));  // before ready: instead of the ack; after: the final answer
    }
  } else if (OPS[req.op]) {
    try {
      writeAnswer({ ok: true, output: OPS[req.op](req.input) });
    } catch (err) {
      writeAnswer(failure(err));
    }
  } else {
    writeAnswer({ ok: false, error: 'invalid_argument', message: `unsupported op ${req.op}` });
  }
}
process.exit(0);
