// The WASM core loads lazily (issue 13, defect 7): importing the ESM build
// instantiates nothing and awaits nothing (no top-level await), ready()
// loads it once, synchronous functions throw NotReadyError before that, and
// the async APIs wait for it themselves. The constants exported at load come
// from the core (src/core_constants.js, written by scripts/build.mjs).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { DIST_ESM, JS_DIR, runNodeModule, tempDir, uniqueName } from './helpers.mjs';

// Counts WASM instantiations in the child process that runs `body`.
const COUNT_INSTANCES = `
  let instances = 0;
  const { instantiate, Instance } = WebAssembly;
  WebAssembly.instantiate = (...a) => { instances += 1; return instantiate.apply(WebAssembly, a); };
  WebAssembly.Instance = function (...a) { instances += 1; return new Instance(...a); };
`;

async function runChild(body) {
  const { code, out } = await runNodeModule(`${COUNT_INSTANCES}\n${body}`);
  assert.equal(code, 0, out);
  return JSON.parse(out.trim().split('\n').pop());
}

describe('lazy WASM core', () => {
  test('import loads nothing; sync calls throw NotReadyError; ready() loads once', async () => {
    const r = await runChild(`
      const m = await import(${JSON.stringify(DIST_ESM)});
      const afterImport = [instances, m.isReady(), m.FRAME_HEADER_SIZE, m.BACKEND_TO_FRONTEND_FILE];
      let thrown;
      try { m.jsonDumps([1]); } catch (e) {
        thrown = [e.name, e.errorClass, e instanceof m.IpckitError, e instanceof m.NotReadyError, /await ready\\(\\)/.test(e.message)];
      }
      await Promise.all([m.ready(), m.ready()]);
      await m.ready();
      console.log(JSON.stringify({ afterImport, thrown, after: [instances, m.isReady(), m.jsonDumps([1])] }));
    `);
    assert.deepEqual(r.afterImport, [0, false, 4, 'backend_to_frontend.json']);
    assert.deepEqual(r.thrown, ['NotReadyError', 'not_ready', true, true, true]);
    assert.deepEqual(r.after, [1, true, '[1]']);
  });

  test('FileChannel and IpcChannel wait for the core themselves', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await runChild(`
        const { FileChannel, IpcChannel } = await import(${JSON.stringify(DIST_ESM)});
        const backend = await FileChannel.backend(${JSON.stringify(dir)});
        backend.onRequest('add', (p) => p.a + p.b);
        const frontend = await FileChannel.frontend(${JSON.stringify(dir)});
        const sum = await frontend.sendRequest('add', { a: 2, b: 3 }, { timeoutMs: 10000 });
        await frontend.close();
        await backend.close();
        const server = await IpcChannel.create(${JSON.stringify(uniqueName('lazy'))});
        const client = await IpcChannel.connect(server.name, { timeoutMs: 5000 });
        await server.waitForClient({ timeoutMs: 5000 });
        await client.sendJson({ hi: 1 });
        const got = await server.recvJson({ timeoutMs: 5000 });
        client.close();
        server.close();
        console.log(JSON.stringify({ sum, got, instances }));
      `);
      assert.deepEqual(r, { sum: 5, got: { hi: 1 }, instances: 1 });
    } finally {
      cleanup();
    }
  });

  test('a page-style import of the browser entry also loads lazily', async () => {
    const r = await runChild(`
      const m = await import(${JSON.stringify(pathToFileURL(path.join(JS_DIR, 'dist', 'esm', 'browser.js')).href)});
      const before = instances;
      await m.ready();
      const d = new m.FrameDecoder();
      d.push(m.encodeFrame('page'));
      console.log(JSON.stringify([before, instances, new TextDecoder().decode(d.next())]));
    `);
    assert.deepEqual(r, [0, 1, 'page']);
  });

  test('the CommonJS build is ready as soon as require() returns', () => {
    const m = createRequire(import.meta.url)(path.join(JS_DIR, 'dist', 'cjs', 'index.cjs'));
    assert.equal(m.isReady(), true);
    assert.equal(m.jsonDumps({ a: 1 }), '{"a":1}');
    return m.ready();
  });

  test("src/core_constants.js is the core's constants()", async () => {
    const createCore = createRequire(import.meta.url)(path.join(JS_DIR, 'dist', 'wasm', 'ipckit_core.cjs'));
    const { CORE_CONSTANTS } = await import(pathToFileURL(path.join(JS_DIR, 'src', 'core_constants.js')).href);
    assert.deepEqual({ ...CORE_CONSTANTS }, { ...createCore().constants() });
  });
});
