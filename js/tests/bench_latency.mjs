// Node FileChannel frontend -> C++ backend request/response latency: the time
// from sendRequest() to its resolved Promise, with the C++ core's FileChannel
// (js_peer file_backend) answering "echo" in a separate process. Not a test.
//
// Usage (after js/run_tests.sh or bazel build //js/tests:js_peer + node scripts/build.mjs):
//   IPCKIT_JS_PEER=$(bazel info bazel-bin)/js/tests/js_peer node js/tests/bench_latency.mjs [count]
import { DIST_ESM, startPeer, tempDir, importReady } from './helpers.mjs';

const { FileChannel } = await importReady(DIST_ESM);
const count = Number(process.argv[2] || 200);
const tmp = tempDir('ipckit-js-bench-');
const peer = await startPeer(['file_backend', tmp.dir]);
const fe = await FileChannel.frontend(tmp.dir);
try {
  for (let i = 0; i < 20; ++i) await fe.sendRequest('echo', { i }, { timeoutMs: 10000 });
  const samples = [];
  for (let i = 0; i < count; ++i) {
    const t0 = process.hrtime.bigint();
    await fe.sendRequest('echo', { i, text: 'payload' }, { timeoutMs: 10000 });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  console.log(`FileChannel Node frontend -> C++ backend, ${count} sequential echo requests:`);
  console.log(`  median ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms, min ${samples[0].toFixed(2)} ms, max ${samples[samples.length - 1].toFixed(2)} ms`);
  await fe.sendRequest('quit', null, { timeoutMs: 10000 });
} finally {
  await fe.close();
  peer.kill();
  tmp.cleanup();
}
