// What the Chromium tests share: a page server (the page, the built package
// under /pkg/, and a POST /result the page reports to) and a headless
// Chromium launch with the flags that work on this machine.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { JS_DIR } from './helpers.mjs';

export const CHROMIUM = process.env.IPCKIT_CHROMIUM || '/usr/bin/chromium';
const DIST = path.join(JS_DIR, 'dist');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html' };

// Serves `pageHtml()` at /, the files of `root` (default dist/) under
// `prefix` (default /pkg/; nothing outside root), and resolves `result` with
// the JSON the page POSTs to /result. Pages that report several times (several
// tabs, a reload) are read with `nextResult(match)`: the first report, in
// arrival order, for which `match(report)` holds, each report taken once.
// A page's GET /wait/<key> is answered when the test calls release(key).
export async function startPageServer(pageHtml, { root = DIST, prefix = '/pkg/' } = {}) {
  let resolveFirst;
  const result = new Promise((r) => { resolveFirst = r; });
  const reports = [];
  const waiters = [];
  const resolveResult = (report) => {
    resolveFirst(report);
    reports.push(report);
    for (const w of [...waiters]) {
      const at = reports.findIndex(w.match);
      if (at < 0) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(reports.splice(at, 1)[0]);
    }
  };
  const gates = new Map();  // key -> {promise, open}
  const gate = (key) => {
    if (!gates.has(key)) {
      let open;
      const promise = new Promise((r) => { open = r; });
      gates.set(key, { promise, open });
    }
    return gates.get(key);
  };
  const nextResult = (match) => new Promise((resolve) => {
    const at = reports.findIndex(match);
    if (at >= 0) resolve(reports.splice(at, 1)[0]);
    else waiters.push({ match, resolve });
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://page');
    if (req.method === 'POST' && url.pathname === '/result') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.end('ok');
        resolveResult(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/wait/')) {
      gate(url.pathname.slice(6)).promise.then(() => res.end('go'));
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(pageHtml());
      return;
    }
    const rel = url.pathname.startsWith(prefix) ? path.normalize(url.pathname.slice(prefix.length)) : null;
    const file = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? path.join(root, rel) : null;
    if (!file || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    result,
    nextResult,
    release: (key) => gate(key).open(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// Starts headless Chromium on `url` with a fresh profile in `profileDir`.
// `log()` is the tail of its stderr; `kill()` ends its whole process group.
export function launchChromium(profileDir, url) {
  const browser = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-extensions',
    `--user-data-dir=${profileDir}`, url,
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });  // its own group: killed with its helpers
  let log = '';
  browser.stderr.on('data', (d) => { if (log.length < 20000) log += d; });
  return {
    log: () => log.slice(-2000),
    kill: async () => {
      const exited = browser.exitCode !== null || browser.signalCode !== null
        ? Promise.resolve() : new Promise((r) => browser.once('exit', r));
      try {
        process.kill(-browser.pid, 'SIGKILL');  // the browser's group: renderer, zygote, ...
      } catch {
        // Already gone.
      }
      await exited;
    },
  };
}
