// A small Node (or Electron main/preload) app: `import ... from 'ipckit'`,
// a FileChannel round trip between a backend and a frontend in one process,
// and a frame through the WASM core. tests/bundlers.test.mjs bundles it for
// Node with each bundler and runs the bundle.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileChannel, IpcChannel, encodeFrame, ready } from 'ipckit';

async function run() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipckit-bundled-'));
  try {
    const backend = await FileChannel.backend(dir);
    backend.onRequest('add', (p) => p.a + p.b);
    const frontend = await FileChannel.frontend(dir);
    const sum = await frontend.sendRequest('add', { a: 2, b: 40 }, { timeoutMs: 10000 });
    await frontend.close();
    await backend.close();
    await ready();
    return { sum, frame: Array.from(encodeFrame('hi')), ipc: typeof IpcChannel };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

run().then(
  (r) => console.log(`IPCKIT_RESULT ${JSON.stringify(r)}`),  // eslint-disable-line no-console
  (err) => console.log(`IPCKIT_RESULT ${JSON.stringify({ error: String((err && err.stack) || err) })}`),  // eslint-disable-line no-console
);
