// FileChannel: the Node frontend against the C++ core's backend running as a
// separate process (js_peer file_backend), plus bad-input cases.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIST_ESM, sleep, startPeer, tempDir, within, importReady } from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { FileChannel, RemoteError, TimeoutError, CorruptError, ClosedError } = ipckit;

// Collects events in arrival order; waitFor resolves once `n` are in.
function eventLog(channel, name) {
  const events = [];
  const waiters = [];
  channel.onEvent(name, (payload, message) => {
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
    waitFor: (n) => (events.length >= n ? Promise.resolve(events) : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('Node frontend <-> C++ backend', () => {
  let tmp;
  let peer;
  let fe;
  const errors = [];

  before(async () => {
    tmp = tempDir();
    peer = await startPeer(['file_backend', tmp.dir]);
    // No wait for late handlers (tests/handler_wait.test.mjs covers it): the
    // no-handler test below gets its answer at once.
    fe = await FileChannel.frontend(tmp.dir, { handlerWaitMs: 0 });
    fe.onError((e) => errors.push(e));
  });

  after(async () => {
    await fe?.close();
    peer?.kill();
    tmp?.cleanup();
  });

  test('a request gets the C++ backend response', async () => {
    assert.equal(fe.polling, false, 'waits on fs.watch, not a timer');
    assert.deepEqual(await fe.sendRequest('add', { a: 2, b: 40 }, { timeoutMs: 10000 }), { sum: 42 });
  });

  test('payloads round-trip exactly, including unicode and big integers', async () => {
    const payload = { text: 'héllo ✓ 😀', list: [1, 2.5, null, true], big: 18446744073709551615n, neg: -9007199254740993n };
    assert.deepEqual(await fe.sendRequest('echo', payload, { timeoutMs: 10000 }), payload);
  });

  test('concurrent requests each get their own response', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fe.sendRequest('add', { a: i, b: 1000 }, { timeoutMs: 10000 })));
    assert.deepEqual(results.map((r) => r.sum), Array.from({ length: 20 }, (_, i) => i + 1000));
  });

  test('an error response rejects with RemoteError', async () => {
    await assert.rejects(fe.sendRequest('fail', 'x', { timeoutMs: 10000 }), (err) => {
      assert.ok(err instanceof RemoteError);
      assert.equal(err.message, 'failed on purpose: "x"');
      assert.equal(err.response.type, 'response');
      return true;
    });
  });

  test('an unanswered request rejects with TimeoutError', async () => {
    const started = Date.now();
    await assert.rejects(fe.sendRequest('never', null, { timeoutMs: 300 }), TimeoutError);
    assert.ok(Date.now() - started >= 290);
  });

  test('events from the backend reach onEvent listeners, in order', async () => {
    const ticks = eventLog(fe, 'tick');
    const all = [];
    const off = fe.onEvent('*', (p, m) => all.push(m.method));
    assert.deepEqual(await fe.sendRequest('emit', { count: 5 }, { timeoutMs: 10000 }), { emitted: 5 });
    const got = await within(5000, ticks.waitFor(5), 'ticks');
    assert.deepEqual(got.map((e) => e.payload.i), [0, 1, 2, 3, 4]);
    assert.ok(got.every((e) => e.message.type === 'event' && typeof e.message.sender === 'string'));
    off();
    assert.deepEqual(all.filter((m) => m === 'tick').length, 5);
  });

  test('a frontend event reaches the backend (ping -> pong)', async () => {
    const pongs = eventLog(fe, 'pong');
    await fe.sendEvent('ping', { n: 7 });
    const [pong] = await within(5000, pongs.waitFor(1), 'pong');
    assert.deepEqual(pong.payload, { n: 7 });
  });

  test('requests from the backend reach onRequest handlers (both ways)', async () => {
    const off = fe.onRequest('greet', async (params) => {
      await sleep(5);
      return { hello: params.who };
    });
    assert.deepEqual(await fe.sendRequest('ask', { who: 'node' }, { timeoutMs: 10000 }), { frontend: { hello: 'node' } });
    off();
  });

  test('a throwing handler becomes an error response the backend sees', async () => {
    const off = fe.onRequest('greet', () => { throw new Error('not today'); });
    await assert.rejects(fe.sendRequest('ask', {}, { timeoutMs: 10000 }), (err) => {
      assert.ok(err instanceof RemoteError);
      assert.equal(err.message, 'frontend said: not today');
      return true;
    });
    off();
  });

  test('a request with no handler gets an error response', async () => {
    await assert.rejects(fe.sendRequest('ask', {}, { timeoutMs: 10000 }),
      (err) => err instanceof RemoteError && /no handler for method 'greet'/.test(err.message));
  });

  test('the files follow the protocol: lock file, no temp files left', async () => {
    // The backend may still be finishing its last write (its ipckit 0.1
    // <stem>.lock goes after the rename that woke us): wait, bounded, for
    // the directory to settle to exactly the protocol's files.
    // .backend.lock: the backend's liveness lock. Claims files (requests are
    // claimed before their handler runs, format 2) come and go with requests.
    const expected = ['.backend.lock', '.channel_info', '.lock', 'backend_to_frontend.json', 'frontend_to_backend.json'];
    const list = () => readdirSync(tmp.dir).filter((n) => !n.startsWith('.claims.')).sort();
    let names = list();
    for (const until = Date.now() + 5000; JSON.stringify(names) !== JSON.stringify(expected) && Date.now() < until;) {
      await sleep(5);
      names = list();
    }
    assert.deepEqual(names, expected);
    const sent = ipckit.parseChannelFile(readFileSync(path.join(tmp.dir, 'frontend_to_backend.json')));
    // One writer: seq counts 1, 2, 3... with no gap, all from this sender.
    assert.deepEqual(sent.map((m) => m.seq), sent.map((_, i) => i + 1));
    assert.ok(sent.every((m) => m.sender === fe.senderId));
    assert.equal(errors.length, 0, errors.map(String).join('; '));
  });

  test('quit: the backend answers and exits cleanly', async () => {
    assert.equal(await fe.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
    assert.equal(await within(10000, peer.exited, 'peer exit'), 0, peer.stderr);
  });
});

describe('FileChannel bad input', () => {
  test('a corrupt incoming file is reported, nothing crashes, and no message is lost', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    const be = await FileChannel.backend(tmp.dir);
    try {
      const errors = [];
      fe.onError((e) => errors.push(e));
      const got = eventLog(fe, 'n');
      await be.sendEvent('n', 1);
      await within(5000, got.waitFor(1), 'first event');

      // A half-written file from a foreign writer.
      const incoming = path.join(tmp.dir, 'backend_to_frontend.json');
      const good = readFileSync(incoming);
      writeFileSync(incoming, good.subarray(0, good.length - 5));
      await within(5000, (async () => { while (errors.length === 0) await sleep(10); })(), 'corrupt report');
      assert.ok(errors[0] instanceof CorruptError, String(errors[0]));
      assert.match(errors[0].message, /backend_to_frontend\.json/);

      // The writer refuses to append to the corrupt file (never overwrites it).
      await assert.rejects(be.sendEvent('n', 2), CorruptError);
      assert.deepEqual(readFileSync(incoming), good.subarray(0, good.length - 5));

      // Repaired, the stream continues: the old message is not redelivered,
      // the new ones arrive.
      writeFileSync(incoming, good);
      await be.sendEvent('n', 3);
      await within(5000, got.waitFor(2), 'event after repair');
      await sleep(50);
      assert.deepEqual(got.events.map((e) => e.payload), [1, 3]);
    } finally {
      await fe.close();
      await be.close();
      tmp.cleanup();
    }
  });

  test('a corrupt outgoing file: our writer refuses it and the C++ backend keeps running', async () => {
    const tmp = tempDir();
    const peer = await startPeer(['file_backend', tmp.dir]);
    const fe = await FileChannel.frontend(tmp.dir);
    try {
      writeFileSync(path.join(tmp.dir, 'frontend_to_backend.json'), '[{"id": 3');
      // Our own writer refuses to touch it...
      await assert.rejects(fe.sendRequest('echo', 1, { timeoutMs: 2000 }), CorruptError);
      // ...and once it is valid again, the backend (still alive) answers.
      writeFileSync(path.join(tmp.dir, 'frontend_to_backend.json'), '[]\n');
      assert.equal(await fe.sendRequest('echo', 'alive', { timeoutMs: 10000 }), 'alive');
      assert.equal(await fe.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
      assert.equal(await within(10000, peer.exited, 'peer exit'), 0);
    } finally {
      await fe.close();
      peer.kill();
      tmp.cleanup();
    }
  });

  test('an unsupported .channel_info is refused', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(path.join(tmp.dir, '.channel_info'), '{"protocol":"file-ipc","version":"2.0"}');
      await assert.rejects(FileChannel.frontend(tmp.dir), ipckit.UnsupportedVersionError);
      writeFileSync(path.join(tmp.dir, '.channel_info'), 'not json');
      await assert.rejects(FileChannel.frontend(tmp.dir), CorruptError);
    } finally {
      tmp.cleanup();
    }
  });

  test('a payload that is not JSON fails that send alone', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    try {
      await assert.rejects(fe.sendEvent('x', { bad: NaN }), ipckit.InvalidArgumentError);
      await assert.rejects(fe.sendEvent('x', 10n ** 30n), ipckit.OutOfRangeError);
      await fe.sendEvent('x', { good: 1 });
      const sent = ipckit.parseChannelFile(readFileSync(fe.outgoingPath));
      assert.deepEqual(sent.map((m) => m.payload), [{ good: 1 }]);
      assert.equal(sent[0].seq, 1);
    } finally {
      await fe.close();
      tmp.cleanup();
    }
  });

  test('close() rejects pending requests and later sends with ClosedError', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    const pending = fe.sendRequest('nobody', null, { timeoutMs: 60000 });
    await sleep(20);
    await fe.close();
    await assert.rejects(pending, ClosedError);
    await assert.rejects(fe.sendEvent('late'), ClosedError);
    assert.ok(existsSync(fe.outgoingPath));
    tmp.cleanup();
  });

  test('a path that is a file is InvalidArgumentError', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(path.join(tmp.dir, 'f'), 'x');
      await assert.rejects(FileChannel.frontend(path.join(tmp.dir, 'f')), ipckit.InvalidArgumentError);
      await assert.rejects(FileChannel.frontend(''), ipckit.InvalidArgumentError);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('FileChannel polling fallback', () => {
  test('with forcePolling the frontend still gets responses, events and requests', async () => {
    const tmp = tempDir();
    const peer = await startPeer(['file_backend', tmp.dir]);
    const fe = await FileChannel.frontend(tmp.dir, { forcePolling: true });
    try {
      assert.equal(fe.polling, true);
      assert.deepEqual(await fe.sendRequest('add', { a: 1, b: 2 }, { timeoutMs: 10000 }), { sum: 3 });
      const ticks = eventLog(fe, 'tick');
      await fe.sendRequest('emit', { count: 3 }, { timeoutMs: 10000 });
      assert.deepEqual((await within(5000, ticks.waitFor(3), 'ticks')).map((e) => e.payload.i), [0, 1, 2]);
      fe.onRequest('greet', (p) => `hi ${p}`);
      assert.deepEqual(await fe.sendRequest('ask', 'poll', { timeoutMs: 10000 }), { frontend: 'hi poll' });
      assert.equal(await fe.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
    } finally {
      await fe.close();
      peer.kill();
      tmp.cleanup();
    }
  });
});

describe('FileChannel lock', () => {
  test('Node and C++ writers share one file without losing a message', async () => {
    const tmp = tempDir();
    try {
      const a = await FileChannel.frontend(tmp.dir);
      const b = await FileChannel.frontend(tmp.dir);
      const n = 40;
      const cxx = await startPeer(['file_burst', tmp.dir, String(n)], { ready: false });
      const sends = [];
      for (let i = 0; i < n; ++i) {
        sends.push(a.sendEvent('burst', { w: 'a', i }));
        sends.push(b.sendEvent('burst', { w: 'b', i }));
        if (i % 10 === 9) await sleep(1);  // several batches, interleaved with C++
      }
      await Promise.all(sends);
      assert.equal(await within(20000, cxx.exited, 'C++ writer'), 0, cxx.stderr);
      const all = ipckit.parseChannelFile(readFileSync(a.outgoingPath));
      assert.equal(all.length, 3 * n);
      const bySender = new Map();
      for (const m of all) bySender.set(m.sender, [...(bySender.get(m.sender) || []), m.seq]);
      assert.equal(bySender.size, 3);
      for (const seqs of bySender.values()) assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i + 1));
      assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
      await a.close();
      await b.close();
    } finally {
      tmp.cleanup();
    }
  });

  test('two Node writers and the C++ backend never lose a message', async () => {
    const tmp = tempDir();
    const peer = await startPeer(['file_backend', tmp.dir]);
    const a = await FileChannel.frontend(tmp.dir);
    const b = await FileChannel.frontend(tmp.dir);
    try {
      const n = 25;
      const results = await Promise.all([
        ...Array.from({ length: n }, (_, i) => a.sendRequest('echo', { w: 'a', i }, { timeoutMs: 20000 })),
        ...Array.from({ length: n }, (_, i) => b.sendRequest('echo', { w: 'b', i }, { timeoutMs: 20000 })),
      ]);
      assert.equal(results.length, 2 * n);
      const sent = ipckit.parseChannelFile(readFileSync(a.outgoingPath));
      for (const w of [a, b]) {
        const mine = sent.filter((m) => m.sender === w.senderId && m.type === 'request');
        assert.deepEqual(mine.map((m) => m.seq), Array.from({ length: n }, (_, i) => i + 1));
      }
      assert.equal(await a.sendRequest('quit', null, { timeoutMs: 10000 }), 'bye');
    } finally {
      await a.close();
      await b.close();
      peer.kill();
      tmp.cleanup();
    }
  });
});
