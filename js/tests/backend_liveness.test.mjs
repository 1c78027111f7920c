// Backend liveness (issue 13; spec/file_channel.md, "Backend liveness"): a
// frontend tells whether a backend has the channel open, and gets 'online'
// and 'offline' events, from the flock a backend holds on .backend.lock. The
// backends are real processes: the Python package's (C++ core) and a Node
// one, killed with SIGKILL, so no goodbye is ever written. Every wait is for
// an event or a ready line, bounded by a timeout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIST_ESM, JS_DIR, tempDir, within } from './helpers.mjs';
import { spawnWithLines, startPyBackend } from './python_helpers.mjs';

const { FileChannel } = await import(DIST_ESM);

// The next 'online' or 'offline' event of `ch`, as a promise of its type.
function nextLiveness(ch) {
  return new Promise((resolve) => {
    const on = (e) => {
      ch.removeEventListener('online', on);
      ch.removeEventListener('offline', on);
      resolve(e.type);
    };
    ch.addEventListener('online', on);
    ch.addEventListener('offline', on);
  });
}

// A Node backend in its own process; resolves once it printed "ready".
async function startNodeBackend(dir) {
  const source = `
    const { FileChannel } = await import(${JSON.stringify(DIST_ESM)});
    await FileChannel.backend(${JSON.stringify(dir)});
    console.log('ready');`;
  // The open channel keeps the process alive until the test kills it.
  const proc = spawnWithLines(process.execPath, ['--input-type=module', '-e', source], { cwd: JS_DIR });
  await proc.waitLine(/^ready$/, 20000);
  return proc;
}

describe('backend liveness', () => {
  test('a Python backend: offline before it starts, online while it runs, offline once killed, online again', async () => {
    const t = tempDir();
    let py = null;
    const fe = await FileChannel.frontend(t.dir);
    try {
      assert.equal(await within(10000, fe.backendOnline(), 'the first probe'), false);
      const cameOnline = nextLiveness(fe);
      py = await startPyBackend(t.dir);
      assert.equal(await within(10000, cameOnline, 'online after the start'), 'online');
      assert.equal(await fe.backendOnline(), true);
      // Requests still work beside the watch.
      assert.deepEqual(await fe.sendRequest('add', { a: 2, b: 3 }, { timeoutMs: 10000 }), { sum: 5 });

      const wentOffline = nextLiveness(fe);
      py.kill();
      await py.exited;
      assert.equal(await within(10000, wentOffline, 'offline after SIGKILL'), 'offline');
      assert.equal(await fe.backendOnline(), false);

      const back = nextLiveness(fe);
      py = await startPyBackend(t.dir);
      assert.equal(await within(10000, back, 'online after the restart'), 'online');
    } finally {
      if (py) py.kill();
      await fe.close();
      t.cleanup();
    }
  });

  test('a Node backend process: online while open, offline after close() and after SIGKILL', async () => {
    const t = tempDir();
    const fe = await FileChannel.frontend(t.dir);
    let node = null;
    try {
      const events = [];
      fe.addEventListener('online', () => events.push('online'));
      fe.addEventListener('offline', () => events.push('offline'));
      assert.equal(await within(10000, fe.backendOnline(), 'the first probe'), false);

      let change = nextLiveness(fe);
      const be = await FileChannel.backend(t.dir);
      assert.equal(await within(10000, change, 'online (in-process backend)'), 'online');
      change = nextLiveness(fe);
      await be.close();
      assert.equal(await within(10000, change, 'offline after close()'), 'offline');

      change = nextLiveness(fe);
      node = await startNodeBackend(t.dir);
      assert.equal(await within(10000, change, 'online (backend process)'), 'online');
      change = nextLiveness(fe);
      node.kill();
      await node.exited;
      assert.equal(await within(10000, change, 'offline after SIGKILL'), 'offline');
      assert.deepEqual(events, ['offline', 'online', 'offline', 'online', 'offline']);
    } finally {
      if (node) node.kill();
      await fe.close();
      t.cleanup();
    }
  });

  test('a second backend opens while the first holds the lock; the frontend stays online until the holder goes', async () => {
    const t = tempDir();
    const fe = await FileChannel.frontend(t.dir);
    const first = await FileChannel.backend(t.dir);
    try {
      assert.equal(await within(10000, fe.backendOnline(), 'the probe'), true);
      const second = await within(10000, FileChannel.backend(t.dir), 'the second backend opening');
      await second.close();
      assert.equal(await fe.backendOnline(), true);
    } finally {
      await first.close();
      await fe.close();
      t.cleanup();
    }
  });

  test('close() ends a watch that waits for the backend (no helper left behind)', async () => {
    const t = tempDir();
    const be = await FileChannel.backend(t.dir);
    const fe = await FileChannel.frontend(t.dir);
    try {
      assert.equal(await fe.backendOnline(), true);
      await within(10000, fe.close(), 'close with a waiting watch');
      await assert.rejects(fe.backendOnline(), { name: 'ClosedError' });
    } finally {
      await be.close();
      t.cleanup();
    }
  });
});
