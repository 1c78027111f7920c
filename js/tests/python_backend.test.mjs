// FileChannel: the Node frontend against the Python package's backend
// (ipckit.FileChannel.backend from the wheel, in py_backend.py) running as a
// separate process on the same channel directory. Requests both ways, error
// responses, events both ways, timeouts on both sides, same-millisecond
// bursts from both sides, and the Node <-> Python request latency.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { DIST_ESM, tempDir, within } from './helpers.mjs';
import { median, startPyBackend } from './python_helpers.mjs';

const { FileChannel, RemoteError, TimeoutError } = await import(DIST_ESM);

// Collects the events named `name`; waitFor(n) resolves once n are in.
function eventLog(channel, name) {
  const events = [];
  const waiters = [];
  const off = channel.onEvent(name, (payload, message) => {
    events.push({ payload, message });
    for (const w of [...waiters]) {
      if (events.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(events);
      }
    }
  });
  return {
    events,
    off,
    waitFor: (n) => (events.length >= n ? Promise.resolve(events) : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('Node frontend <-> Python backend', () => {
  let tmp;
  let py;
  let fe;
  const errors = [];

  before(async () => {
    tmp = tempDir('ipckit-js-py-');
    py = await startPyBackend(tmp.dir);
    fe = await FileChannel.frontend(tmp.dir);
    fe.onError((e) => errors.push(e));
  });

  after(async () => {
    await fe?.close();
    py?.kill();
    tmp?.cleanup();
  });

  test('a Node request gets the Python response', async () => {
    assert.deepEqual(await fe.sendRequest('add', { a: 2, b: 40 }, { timeoutMs: 10000 }), { sum: 42 });
  });

  test('payloads round-trip exactly through Python, including unicode and big integers', async () => {
    const payload = {
      text: 'héllo ✓ 😀', list: [1, 2.5, null, true, -0.5], nested: { a: [{}] }, big: 18446744073709551615n,
      neg: -9007199254740993n,
    };
    assert.deepEqual(await fe.sendRequest('echo', payload, { timeoutMs: 10000 }), payload);
  });

  test('a Python error response rejects with RemoteError', async () => {
    await assert.rejects(fe.sendRequest('fail', { why: 'x' }, { timeoutMs: 10000 }), (err) => {
      assert.ok(err instanceof RemoteError, String(err));
      assert.equal(err.message, 'failed on purpose: {"why":"x"}');
      assert.equal(err.response.type, 'response');
      return true;
    });
  });

  test('a request Python never answers rejects with TimeoutError in a sane window', async () => {
    const started = performance.now();
    await assert.rejects(fe.sendRequest('never', null, { timeoutMs: 400 }), TimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 3000, `timed out after ${elapsed} ms`);
    // The channel still works afterwards.
    assert.deepEqual(await fe.sendRequest('add', { a: 1, b: 1 }, { timeoutMs: 10000 }), { sum: 2 });
  });

  test('a Python request reaches the Node onRequest handler and wait_response gets the answer', async () => {
    const seen = [];
    const off = fe.onRequest('greet', async (params, message) => {
      seen.push(message);
      return { hello: params.who, from: 'node' };
    });
    const got = await fe.sendRequest('ask', { method: 'greet', params: { who: 'python' } }, { timeoutMs: 10000 });
    off();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].type, 'request');
    assert.equal(seen[0].method, 'greet');
    assert.deepEqual(got.result, { hello: 'python', from: 'node' });
    assert.equal(got.reply_to, got.asked, 'the response Python waited for answers its request');
    assert.equal(seen[0].id, got.asked);
  });

  test('a throwing Node handler is an error response Python sees', async () => {
    const off = fe.onRequest('greet', () => { throw new Error('not today'); });
    const got = await fe.sendRequest('ask', { method: 'greet', params: {} }, { timeoutMs: 10000 });
    off();
    assert.match(got.error, /not today/);
  });

  test("Python's wait_response times out when Node never answers", async () => {
    const off = fe.onRequest('stall', () => new Promise(() => {}));
    const got = await fe.sendRequest('ask', { method: 'stall', params: null, timeout_ms: 300 }, { timeoutMs: 10000 });
    off();
    assert.equal(got.timed_out, true);
    assert.ok(got.elapsed_ms >= 290 && got.elapsed_ms < 3000, `Python waited ${got.elapsed_ms} ms`);
  });

  test('events both ways: Python events reach onEvent in order, a Node event reaches Python', async () => {
    const ticks = eventLog(fe, 'tick');
    assert.deepEqual(await fe.sendRequest('emit', { name: 'tick', count: 5 }, { timeoutMs: 10000 }), { emitted: 5 });
    const got = await within(5000, ticks.waitFor(5), 'tick events');
    ticks.off();
    assert.deepEqual(got.map((e) => e.payload.i), [0, 1, 2, 3, 4]);
    assert.ok(got.every((e) => e.message.type === 'event' && e.message.method === 'tick'));

    const pongs = eventLog(fe, 'pong');
    await fe.sendEvent('ping', { n: 7, s: 'ü' });
    const [pong] = await within(5000, pongs.waitFor(1), 'pong');
    pongs.off();
    assert.deepEqual(pong.payload, { n: 7, s: 'ü' });
  });

  test('same-millisecond bursts from both sides all arrive exactly once', async (t) => {
    const N = 60;
    const fromPy = eventLog(fe, 'burst_py');
    // Both bursts at once: Node's sends are issued in one tick (same
    // millisecond, one lock), Python's back to back in a loop.
    const nodeSends = Array.from({ length: N }, (_, i) => fe.sendEvent('burst_node', { i }));
    const emitted = fe.sendRequest('emit', { name: 'burst_py', count: N }, { timeoutMs: 10000 });
    await Promise.all(nodeSends);
    assert.deepEqual(await emitted, { emitted: N });
    const got = await within(10000, fromPy.waitFor(N), 'Python burst');
    fromPy.off();
    // Give a late duplicate a chance to show up before counting.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fromPy.events.length, N);
    assert.deepEqual(got.map((e) => e.payload.i), Array.from({ length: N }, (_, i) => i));
    assert.equal(new Set(got.map((e) => e.message.id)).size, N);
    const pyMs = new Set(got.map((e) => e.message.timestamp)).size;

    const seenByPy = await fe.sendRequest('events', { name: 'burst_node' }, { timeoutMs: 10000 });
    assert.equal(seenByPy.ids, N);
    assert.equal(seenByPy.unique_ids, N);
    assert.deepEqual(seenByPy.payloads.map((p) => p.i), Array.from({ length: N }, (_, i) => i));
    t.diagnostic(`Python's ${N} burst events carried ${pyMs} distinct millisecond timestamps`);
  });

  test('median Node -> Python request -> response latency over 200 requests', async (t) => {
    const times = [];
    for (let i = 0; i < 200; i += 1) {
      const started = performance.now();
      const r = await fe.sendRequest('add', { a: i, b: 1 }, { timeoutMs: 10000 });
      times.push(performance.now() - started);
      assert.equal(r.sum, i + 1);
    }
    const med = median(times);
    const line = `Node<->Python FileChannel request->response over 200 requests: median ${med.toFixed(2)} ms, `
      + `p90 ${[...times].sort((a, b) => a - b)[179].toFixed(2)} ms`;
    t.diagnostic(line);
    assert.ok(med < 1000, line);
  });

  test('quit: Python exits 0 and nothing went wrong on the Node side', async () => {
    assert.equal(await fe.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
    assert.equal(await within(10000, py.exited, 'py_backend exit'), 0, py.stderr);
    assert.deepEqual(errors, []);
  });
});
