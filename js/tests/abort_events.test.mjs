// The APIs JS developers expect (issue 13): an AbortSignal ends every wait
// (FileChannel requests and sends, IpcChannel connect, waitForClient, recv,
// send) with its reason; a FileChannel endpoint is an EventTarget ('message',
// 'error', 'close'); `for await` iterates its incoming messages.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIST_ESM, openChannelPair, tempDir, uniqueName, within } from './helpers.mjs';

const {
  BACKEND_TO_FRONTEND_FILE, CorruptError, FileChannel, FileChannelEvent, FRONTEND_TO_BACKEND_FILE, IpcChannel,
} = await import(DIST_ESM);

const pair = (frontendOptions) => openChannelPair(FileChannel, frontendOptions);

const isAbortError = (e) => e instanceof DOMException && e.name === 'AbortError';

describe('AbortSignal: FileChannel', () => {
  test('aborting a pending request rejects it with the reason; a later answer is ignored', async () => {
    const { backend, frontend, cleanup } = await pair();
    try {
      let answer;
      const asked = new Promise((resolve) => {
        backend.onRequest('slow', () => new Promise((r) => { answer = r; resolve(); }));
      });
      const controller = new AbortController();
      const request = frontend.sendRequest('slow', null, { timeoutMs: 10000, signal: controller.signal });
      await within(10000, asked, 'the request reaching the backend');
      const reason = new Error('user navigated away');
      controller.abort(reason);
      await assert.rejects(request, (e) => e === reason);
      answer('late');
      // The channel still works: the late response found no pending request.
      backend.onRequest('fast', () => 'ok');
      assert.equal(await frontend.sendRequest('fast', null, { timeoutMs: 10000 }), 'ok');
    } finally {
      await cleanup();
    }
  });

  test('an already aborted signal writes nothing: sendRequest and sendEvent reject at once', async () => {
    const { dir, frontend, cleanup } = await pair();
    try {
      const signal = AbortSignal.abort();
      await assert.rejects(frontend.sendRequest('x', null, { signal }), isAbortError);
      await assert.rejects(frontend.sendEvent('x', null, { signal }), isAbortError);
      await frontend.sendEvent('marker');
      const methods = JSON.parse(readFileSync(path.join(dir, FRONTEND_TO_BACKEND_FILE), 'utf8')).map((m) => m.method);
      assert.deepEqual(methods, ['marker']);
    } finally {
      await cleanup();
    }
  });

  test('an abort ends FileChannel.frontend() while it waits for the lock', async () => {
    const t = tempDir();
    const { ChannelLockHelper } = await import(path.join(path.dirname(DIST_ESM), 'node', 'channel_lock.js'));
    const holder = new ChannelLockHelper(t.dir);  // another process holds .lock (the helper)
    try {
      await holder.acquire(5000);
      await assert.rejects(FileChannel.frontend(t.dir, { signal: AbortSignal.abort() }), isAbortError);
      const controller = new AbortController();
      const opening = FileChannel.frontend(t.dir, { openTimeoutMs: 60000, signal: controller.signal });
      controller.abort(new Error('gave up'));
      await assert.rejects(within(5000, opening, 'the aborted open'), { message: 'gave up' });
    } finally {
      holder.close();
      t.cleanup();
    }
  });

  test('a signal that is not an AbortSignal is InvalidArgumentError', async () => {
    const { frontend, cleanup } = await pair();
    try {
      await assert.rejects(frontend.sendRequest('x', null, { signal: {} }), { name: 'InvalidArgumentError' });
    } finally {
      await cleanup();
    }
  });
});

describe('AbortSignal: IpcChannel', () => {
  test('connect, waitForClient and recv end with the reason; the channel stays usable after recv', async () => {
    const name = uniqueName('abort');
    const controller = new AbortController();
    const connecting = IpcChannel.connect(`${name}-nobody`, { timeoutMs: 30000, signal: controller.signal });
    controller.abort();
    await assert.rejects(within(5000, connecting, 'connect'), isAbortError);

    const server = await IpcChannel.create(name);
    try {
      await assert.rejects(server.waitForClient({ signal: AbortSignal.abort() }), isAbortError);
      const client = await IpcChannel.connect(name, { timeoutMs: 5000 });
      await server.waitForClient({ timeoutMs: 5000 });
      const waiting = new AbortController();
      const recv = server.recv({ timeoutMs: 10000, signal: waiting.signal });
      waiting.abort();
      await assert.rejects(recv, isAbortError);
      await client.sendJson({ after: 'abort' });
      assert.deepEqual(await server.recvJson({ timeoutMs: 5000 }), { after: 'abort' });
      await assert.rejects(client.send('x', { signal: AbortSignal.abort() }), isAbortError);
      client.close();
    } finally {
      server.close();
    }
  });
});

describe('EventTarget and for await', () => {
  test("'message' for each incoming message, 'close' once on close()", async () => {
    const { backend, frontend, cleanup } = await pair();
    try {
      const seen = [];
      frontend.addEventListener('message', (e) => {
        assert.ok(e instanceof FileChannelEvent);
        seen.push(`${e.message.type}:${e.message.method}`);
      });
      const closed = [];
      frontend.addEventListener('close', (e) => closed.push(e.type));
      const got = new Promise((resolve) => frontend.onEvent('b', resolve));
      await backend.sendEvent('a', 1);
      await backend.sendEvent('b', 2);
      await within(10000, got, 'event b');
      assert.deepEqual(seen, ['event:a', 'event:b']);
      await frontend.close();
      await frontend.close();
      assert.deepEqual(closed, ['close']);
    } finally {
      await cleanup();
    }
  });

  test("an unreadable incoming file is an 'error' event (and no warning)", async () => {
    const { dir, frontend, cleanup } = await pair();
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      // Each read of the broken file reports it: the listener stays.
      const error = new Promise((resolve) => frontend.addEventListener('error', (e) => resolve(e.error)));
      writeFileSync(path.join(dir, BACKEND_TO_FRONTEND_FILE), '[{"broken":');
      const err = await within(10000, error, 'the error event');
      assert.ok(err instanceof CorruptError, String(err));
      await new Promise((r) => setImmediate(r));  // a warning would be emitted on the next tick
      assert.deepEqual(warnings.filter((w) => w.code === 'IPCKIT_FILE_CHANNEL'), []);
    } finally {
      process.off('warning', onWarning);
      await cleanup();
    }
  });

  test('for await over messages() takes incoming messages in order, filtered, and ends on close', async () => {
    const { backend, frontend, cleanup } = await pair();
    try {
      const events = frontend.messages({ type: 'event' });
      for (let i = 0; i < 3; ++i) await backend.sendEvent('tick', { i });
      await backend.sendRequest('ignored', null, { timeoutMs: 100 }).catch(() => {});
      const got = [];
      for await (const m of events) {
        got.push(m.payload.i);
        if (got.length === 3) break;
      }
      assert.deepEqual(got, [0, 1, 2]);

      const all = [];
      const loop = (async () => { for await (const m of frontend) all.push(m.method); })();
      const last = new Promise((resolve) => frontend.onEvent('last', resolve));  // before the send: no race
      await backend.sendEvent('last');
      await within(10000, last, 'last');
      await frontend.close();
      await within(5000, loop, 'the loop ending on close');
      assert.deepEqual(all, ['last']);
    } finally {
      await cleanup();
    }
  });

  test('messages({ signal }) ends with the reason', async () => {
    const { frontend, cleanup } = await pair();
    try {
      const controller = new AbortController();
      const it = frontend.messages({ signal: controller.signal });
      const next = it.next();
      controller.abort();
      await assert.rejects(next, isAbortError);
    } finally {
      await cleanup();
    }
  });
});
