// FileChannel format 2 from Node (issue 13, defects 2 and 5; spec/
// file_channel.md, "Format 2: cursors, claims and bounded retention"):
// exactly-once handling across reloads and several frontends, nothing lost at
// start-up, files bounded after a burst, data_loss for a reader that fell
// behind, a SIGKILLed frontend restarted. Every frontend is its own Node
// process (fc_frontend_child.mjs), the backend the Python package's
// (py_backend.py). No sleeps: a frontend knows it
// has taken everything up to a point when a marker event the backend sent
// after it arrives (delivery is in file order).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { DIST_ESM, JS_DIR, tempDir, within } from './helpers.mjs';
import { spawnWithLines, startPyBackend } from './python_helpers.mjs';

const { FileChannel, parseChannelFile, ready } = await import(DIST_ESM);
await ready();
const CHILD = path.join(JS_DIR, 'tests', 'fc_frontend_child.mjs');

// A frontend process; cmd(c) sends one command and resolves with its answer.
async function startFrontend(dir, options, tag) {
  const proc = spawnWithLines(process.execPath, [CHILD, DIST_ESM, dir, JSON.stringify(options), tag],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  await proc.waitLine(/"ready":true/, 20000);
  let next = 0;
  return {
    proc,
    async cmd(c, ms = 30000) {
      next += 1;
      const id = next;
      proc.child.stdin.write(`${JSON.stringify({ ...c, id })}\n`);
      const line = await proc.waitLine(new RegExp(`^\\{"id":${id},`), ms);
      return JSON.parse(line);
    },
    async close() {
      if (proc.child.exitCode === null) await this.cmd({ op: 'close' });
      await within(10000, proc.exited, `${tag} exiting`);
    },
  };
}

function countMessages(file) {
  return parseChannelFile(readFileSync(file)).length;
}

describe('FileChannel format 2 (Node frontends, Python backend)', () => {
  let t;
  let py;
  const children = [];
  const frontend = async (options, tag) => {
    const f = await startFrontend(t.dir, options, tag);
    children.push(f);
    return f;
  };

  before(async () => {
    t = tempDir();
    py = await startPyBackend(t.dir);
  });

  // A test that fails leaves no frontend behind to answer the next one's requests.
  afterEach(() => {
    for (const c of children.splice(0)) c.proc.kill();
  });

  after(() => {
    for (const c of children) c.proc.kill();
    py.kill();
    t.cleanup();
  });

  test('a reloaded frontend (same reader name) runs no handler again and replays no event', async () => {
    const a = await frontend({ reader: 'reload' }, 'a');
    await a.cmd({ op: 'handle', method: 'hello' });
    const asked = await a.cmd({ op: 'request', method: 'ask', params: { method: 'hello', params: 1 } });
    assert.deepEqual(asked.reply.result, { by: 'a' });
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'tick', count: 3 } });
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'marker1', count: 1 } });
    const first = await a.cmd({ op: 'until', name: 'marker1' });
    assert.equal(first.seen.tick.length, 3);
    assert.equal(first.handled.length, 1);
    await a.close();

    const b = await frontend({ reader: 'reload' }, 'b');
    await b.cmd({ op: 'handle', method: 'hello' });
    await b.cmd({ op: 'request', method: 'emit', params: { name: 'marker2', count: 1 } });
    const second = await b.cmd({ op: 'until', name: 'marker2' });
    assert.deepEqual(second.handled, [], 'the answered request ran again');
    assert.equal(second.seen.tick, undefined, 'old events were replayed');
    assert.equal(second.seen.marker1, undefined, 'old events were replayed');
    await b.close();
  });

  test('a frontend killed with SIGKILL and restarted under its name reruns nothing and gets what came meanwhile', async () => {
    const a = await frontend({ reader: 'crash' }, 'a');
    await a.cmd({ op: 'handle', method: 'work' });
    const asked = await a.cmd({ op: 'request', method: 'ask', params: { method: 'work', params: 1 } });
    assert.deepEqual(asked.reply.result, { by: 'a' });
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'before', count: 2 } });
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'marker8', count: 1 } });
    // The cursor is written when the read that took the marker ends, before
    // the listener's answer reaches stdout.
    await a.cmd({ op: 'until', name: 'marker8' });
    a.proc.kill();
    await within(10000, a.proc.exited, 'the killed frontend');

    const ctl = await frontend({ reader: 'ctl3' }, 'ctl3');
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'while', count: 3 } });
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'marker9', count: 1 } });
    const b = await frontend({ reader: 'crash' }, 'b');
    await b.cmd({ op: 'handle', method: 'work' });
    const got = await b.cmd({ op: 'until', name: 'marker9' });
    assert.deepEqual(got.handled, [], 'the answered request ran again');
    assert.equal(got.seen.before, undefined, 'events taken before the kill came again');
    assert.deepEqual(got.seen.while, [0, 1, 2].map((i) => ({ i })));
    for (const c of [ctl, b]) await c.close();
  });

  test('two frontends on one channel: each backend request is handled once', async () => {
    const a = await frontend({ reader: 'tab-a' }, 'a');
    const b = await frontend({ reader: 'tab-b' }, 'b');
    await a.cmd({ op: 'handle', method: 'work' });
    await b.cmd({ op: 'handle', method: 'work' });
    for (let i = 0; i < 10; i += 1) {
      const r = await a.cmd({ op: 'request', method: 'ask', params: { method: 'work', params: i } });
      assert.ok(r.reply && r.reply.result, `request ${i} was not answered: ${JSON.stringify(r)}`);
    }
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'done', count: 1 } });
    const [sa, sb] = await Promise.all([a.cmd({ op: 'until', name: 'done' }), b.cmd({ op: 'until', name: 'done' })]);
    const all = [...sa.handled, ...sb.handled];
    assert.equal(all.length, 10, `handled ${sa.handled.length} + ${sb.handled.length} times for 10 requests`);
    assert.equal(new Set(all).size, 10);
    await a.close();
    await b.close();
  });

  test('a new named reader takes what was sent before and while it started; start "now" only what comes after', async () => {
    const ctl = await frontend({ reader: 'ctl' }, 'ctl');
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'early', count: 5 } });
    const fresh = await frontend({ reader: 'fresh' }, 'fresh');
    await fresh.cmd({ op: 'request', method: 'emit', params: { name: 'marker3', count: 1 } });
    const got = await fresh.cmd({ op: 'until', name: 'marker3' });
    assert.deepEqual(got.seen.early, [0, 1, 2, 3, 4].map((i) => ({ i })));

    const late = await frontend({ reader: 'late', start: 'now' }, 'late');
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'after', count: 5 } });
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'marker4', count: 1 } });
    const gotLate = await late.cmd({ op: 'until', name: 'marker4' });
    assert.equal(gotLate.seen.early, undefined);
    assert.deepEqual(gotLate.seen.after, [0, 1, 2, 3, 4].map((i) => ({ i })));
    for (const c of [ctl, fresh, late]) await c.close();
  });

  test('files stay bounded after a burst, in both directions', async () => {
    const a = await frontend({ reader: 'burst' }, 'a');
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'burst', count: 1500 } }, 120000);
    await a.cmd({ op: 'request', method: 'emit', params: { name: 'marker5', count: 1 } });
    const got = await a.cmd({ op: 'until', name: 'marker5' }, 60000);
    assert.equal(got.seen.burst.length, 1500);
    assert.ok(countMessages(path.join(t.dir, 'backend_to_frontend.json')) <= 1000);
    await a.close();

    const fe = await FileChannel.frontend(t.dir, { reader: 'burst-writer', handlerWaitMs: Infinity });
    try {
      for (let i = 0; i < 1500; i += 1) await fe.sendEvent('flood', { i });
      assert.ok(countMessages(path.join(t.dir, 'frontend_to_backend.json')) <= 1000);
    } finally {
      await fe.close();
    }
  });

  test('a named reader that fell behind the count bound gets data_loss once, then the rest', async () => {
    const slow = await frontend({ reader: 'slow' }, 'slow');
    await slow.cmd({ op: 'request', method: 'emit', params: { name: 'marker6', count: 1 } });
    await slow.cmd({ op: 'until', name: 'marker6' });
    await slow.close();

    const ctl = await frontend({ reader: 'ctl2' }, 'ctl2');
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'missed', count: 1500 } }, 120000);
    await ctl.cmd({ op: 'request', method: 'emit', params: { name: 'marker7', count: 1 } });
    const back = await frontend({ reader: 'slow' }, 'slow2');
    const got = await back.cmd({ op: 'until', name: 'marker7' }, 60000);
    assert.deepEqual(got.errors, ['data_loss']);
    assert.ok(got.seen.missed.length < 1500 && got.seen.missed.length > 0);
    assert.deepEqual(got.seen.missed.at(-1), { i: 1499 });
    for (const c of [ctl, back]) await c.close();
  });
});
