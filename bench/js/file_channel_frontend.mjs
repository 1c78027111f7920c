// The Node frontend of bench/py/file_channel_bench.py: opens the frontend
// side of the FileChannel in the directory given as its argument, announces
// itself with a "ready" event, answers each "echo" request with its params,
// and exits after answering "stop". With a reader name it reads as that
// named reader (format 2: its cursor acknowledges what it took, so writers
// prune it).
//
//   node bench/js/file_channel_frontend.mjs /tmp/ipckit-bench-fc-XXXX [READER]
//
// Uses the built npm package in js/dist (js/run_tests.sh builds it).
const { FileChannel } = await import(new URL('../../js/dist/esm/index.js', import.meta.url).href);

const [dir, reader] = process.argv.slice(2);
if (!dir) {
  console.error('usage: file_channel_frontend.mjs CHANNEL_DIR [READER]');
  process.exit(2);
}

const channel = await FileChannel.frontend(dir, reader ? { reader } : {});
// Nothing may keep running forever if the backend goes away.
const watchdog = setTimeout(() => {
  console.error('file_channel_frontend: no stop request within 10 minutes');
  process.exit(1);
}, 10 * 60 * 1000);

channel.onRequest('echo', (params) => params);
channel.onRequest('stop', () => {
  // close() writes what was sent (this response included) before it returns.
  setTimeout(async () => {
    await channel.close();
    clearTimeout(watchdog);
    process.exit(0);
  }, 0);
  return null;
});
channel.onError((err) => console.error('file_channel_frontend:', err));
await channel.sendEvent('ready', { pid: process.pid });
