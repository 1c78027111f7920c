// A request for a method nobody has registered yet waits a bounded time for
// a handler (issue 13, defect 3): an app may await other things between
// FileChannel.frontend() and onRequest(). The late handler is registered by
// an event the backend sends after the request (the frontend delivers in file
// order), so the request has surely arrived first: no sleeps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIST_ESM, openChannelPair, tempDir, within } from './helpers.mjs';

const { FileChannel, InvalidArgumentError, RemoteError } = await import(DIST_ESM);

const pair = (frontendOptions) => openChannelPair(FileChannel, frontendOptions);

describe('FileChannel options', () => {
  test('an unknown option, a bad reader name or start is InvalidArgumentError (issue 13 defect 12)', async () => {
    const t = tempDir();
    try {
      for (const options of [{ timeout: 5 }, { retention: { maxAge: 1 } }, { reader: 'a b' }, { reader: '' },
        { start: 'later' }]) {
        await assert.rejects(FileChannel.frontend(t.dir, options), InvalidArgumentError, JSON.stringify(options));
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('requests before their handler', () => {
  test('a request that arrived before onRequest() is handled once the handler is registered', async () => {
    const { backend, frontend, cleanup } = await pair();
    try {
      const calls = [];
      frontend.onEvent('registerNow', () => {
        frontend.onRequest('late', (p) => { calls.push(p); return p * 2; });
      });
      const answer = backend.sendRequest('late', 21, { timeoutMs: 10000 });
      await backend.sendEvent('registerNow');
      assert.equal(await within(10000, answer, 'the late answer'), 42);
      assert.deepEqual(calls, [21]);
    } finally {
      await cleanup();
    }
  });

  test("a '*' handler takes the waiting requests too", async () => {
    const { backend, frontend, cleanup } = await pair();
    try {
      frontend.onEvent('registerNow', () => frontend.onRequest('*', (p, m) => `${m.method}:${p}`));
      const answers = [backend.sendRequest('a', 1, { timeoutMs: 10000 }), backend.sendRequest('b', 2, { timeoutMs: 10000 })];
      await backend.sendEvent('registerNow');
      assert.deepEqual(await within(10000, Promise.all(answers), 'the answers'), ['a:1', 'b:2']);
    } finally {
      await cleanup();
    }
  });

  test('with no handler the request gets "no handler" after handlerWaitMs', async () => {
    const { backend, cleanup } = await pair({ handlerWaitMs: 50 });
    try {
      await assert.rejects(backend.sendRequest('nobody', null, { timeoutMs: 10000 }),
        (e) => e instanceof RemoteError && e.message === "no handler for method 'nobody'");
    } finally {
      await cleanup();
    }
  });

  test('handlerWaitMs: 0 answers "no handler" at once; a bad value is InvalidArgumentError', async () => {
    const { backend, cleanup } = await pair({ handlerWaitMs: 0 });
    try {
      await assert.rejects(backend.sendRequest('nobody', null, { timeoutMs: 10000 }),
        (e) => e instanceof RemoteError && e.message === "no handler for method 'nobody'");
      const t = tempDir();
      try {
        await assert.rejects(FileChannel.frontend(t.dir, { handlerWaitMs: -1 }), InvalidArgumentError);
      } finally {
        t.cleanup();
      }
    } finally {
      await cleanup();
    }
  });
});
