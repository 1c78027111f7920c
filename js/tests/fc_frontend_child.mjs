// A Node FileChannel frontend in its own process, driven by JSON commands on
// stdin, one a line; it answers with JSON lines on stdout. The format-2 tests
// (file_channel_format2.test.mjs) run two of these at once, or one after the
// other, beside a Python backend (py_backend.py).
//
//   node fc_frontend_child.mjs DIR '{"reader":"main"}'     # prints {"ready":true}
//   {"op":"handle","method":"work"}      a handler that answers {"by":<tag>} and prints {"handled":<id>}
//   {"op":"request","method":"emit","params":{...}}    -> {"reply":<payload>} or {"error":<message>}
//   {"op":"until","name":"marker"}       -> {"seen":{"<name>":[payloads]},"handled":[ids],"errors":[classes]}
//                                            once a `marker` event has arrived (everything before it in the
//                                            file has then been taken: delivery is in file order)
//   {"op":"close"}                       -> {"closed":true}, then exits 0
// Every answer carries the command's "id"; "handled" lines come as they happen.
// The payloads of every event are recorded by name.
import { createInterface } from 'node:readline';

const [dist, dir, optionsJson, tag = 'child'] = process.argv.slice(2);
const { FileChannel } = await import(dist);

let current = null;  // the id of the command being answered
const out = (v) => process.stdout.write(`${JSON.stringify({ id: current, ...v })}\n`);
const seen = {};
const handled = [];
const errors = [];
const markers = new Map();  // name -> resolvers waiting for it

const ch = await FileChannel.frontend(dir, JSON.parse(optionsJson || '{}'));
ch.addEventListener('error', (e) => errors.push(e.error && e.error.errorClass ? e.error.errorClass : String(e.error)));
ch.onEvent('*', (payload, m) => {
  (seen[m.method] = seen[m.method] || []).push(payload);
  const waiting = markers.get(m.method);
  if (waiting) {
    markers.delete(m.method);
    for (const resolve of waiting) resolve();
  }
});
out({ ready: true });

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const cmd = JSON.parse(line);
  current = cmd.id;
  if (cmd.op === 'handle') {
    ch.onRequest(cmd.method, (params, m) => {
      handled.push(m.id);
      process.stdout.write(`${JSON.stringify({ handled: m.id })}\n`);
      return { by: tag };
    });
    out({ ok: true });
  } else if (cmd.op === 'request') {
    try {
      out({ reply: await ch.sendRequest(cmd.method, cmd.params ?? null, { timeoutMs: 20000 }) });
    } catch (err) {
      out({ error: err.message });
    }
  } else if (cmd.op === 'until') {
    if (!seen[cmd.name]) await new Promise((resolve) => {
      const list = markers.get(cmd.name) || [];
      list.push(resolve);
      markers.set(cmd.name, list);
    });
    out({ seen, handled, errors });
  } else if (cmd.op === 'close') {
    await ch.close();
    out({ closed: true });
    break;
  }
}
process.exit(0);
