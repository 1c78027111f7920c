// Shared test helpers: where things are, temp dirs, and the C++ peer process.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const JS_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = path.dirname(JS_DIR);
export const VECTORS_DIR = path.join(REPO_DIR, 'conformance', 'vectors');
// The built package (run_tests.sh builds it; tests use what ships).
export const DIST_ESM = path.join(JS_DIR, 'dist', 'esm', 'index.js');
export const DIST_CJS = path.join(JS_DIR, 'dist', 'cjs', 'index.cjs');
// run_tests.sh passes the path Bazel built it at (bazel-bin/ may point at
// another configuration when someone else built with other flags).
export const PEER = process.env.IPCKIT_JS_PEER || path.join(REPO_DIR, 'bazel-bin', 'js', 'tests', 'js_peer');

// A fresh temp dir, removed by the returned cleanup function.
export function tempDir(prefix = 'ipckit-js-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// A name unique to this process and call, for sockets.
let counter = 0;
export function uniqueName(tag) {
  counter += 1;
  return `ipckit-js-${tag}-${process.pid}-${counter}`;
}

// Starts the C++ peer; resolves once it prints "ready". The result has
// lines (stdout lines after ready), stderr, and exited (Promise of the code).
export function startPeer(args, { ready = true } = {}) {
  const child = spawn(PEER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lines = [];
  let onLine = null;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { stderr += s; });
  child.stdout.on('data', (s) => {
    stdout += s;
    let nl;
    while ((nl = stdout.indexOf('\n')) >= 0) {
      lines.push(stdout.slice(0, nl));
      stdout = stdout.slice(nl + 1);
      if (onLine) onLine();
    }
  });
  // 'close', not 'exit': 'exit' can come before the last of stdout and
  // stderr has been read, and a test reads stderr once the peer exited.
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal));
    child.on('error', (err) => {
      stderr += String(err);
      resolve(-1);
    });
  });
  const peer = {
    child,
    lines,
    exited,
    get stderr() { return stderr; },
    kill() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
  if (!ready) return Promise.resolve(peer);
  return new Promise((resolve, reject) => {
    const check = () => {
      if (lines[0] === 'ready') {
        lines.shift();
        onLine = null;
        resolve(peer);
      }
    };
    onLine = check;
    check();
    exited.then((code) => reject(new Error(`peer ${args.join(' ')} exited ${code} before ready: ${stderr}`)));
  });
}

// Resolves with `promise`'s value, or rejects after `ms` (keeps tests bounded).
export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); }),
  ]);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

export function unhex(s) {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

// JSON.parse loses what the vectors spell out (1.0 vs 1, big integers). This
// small parser keeps every number's text: numbers come back as RawNumber, and
// losslessStringify writes them unchanged. For test input only (the vector
// files are trusted, well-formed JSON).
export class RawNumber {
  constructor(text) { this.text = text; }
}

export function losslessParse(text) {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i] ?? '')) i += 1; };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i += 1;
      const obj = {};
      ws();
      if (text[i] === '}') { i += 1; return obj; }
      for (;;) {
        ws();
        const key = value();
        ws();
        i += 1;  // ':'
        obj[key] = value();
        ws();
        if (text[i++] === '}') return obj;
      }
    }
    if (c === '[') {
      i += 1;
      const arr = [];
      ws();
      if (text[i] === ']') { i += 1; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i++] === ']') return arr;
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      i += m[0].length;
      return JSON.parse(m[0]);
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return new RawNumber(m[0]);
  };
  const v = value();
  return v;
}

export function losslessStringify(v) {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(losslessStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${losslessStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// A lossless value's plain JS form (numbers as numbers), for the few fields
// that are plain numbers (timestamp, seq, limits).
export function plain(v) {
  return JSON.parse(losslessStringify(v));
}

// Runs `source` as an ES module in a separate node process: {code, out}
// (stdout and stderr together). `nodeFlags` go before the script.
export function runNodeModule(source, nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', source],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));  // all output read
}

// Imports a built ESM entry and waits for its WASM core (the ESM build loads
// it lazily), for tests that call the synchronous functions.
export async function importReady(entry) {
  const m = await import(entry);
  await m.ready();
  return m;
}

// Installs the package into the project at `projectDir` (made if missing,
// with a package.json) as a user does: `npm install <tarball>` (offline: the
// package has no dependencies). The tarball is IPCKIT_JS_TARBALL (the one
// Bazel builds, //js:npm_package; run_tests.sh sets it), else `npm pack` of
// js/. Returns the tarball's path (gone after the call if packed here).
export function installPackedPackage(projectDir) {
  let tarball = process.env.IPCKIT_JS_TARBALL;
  let packDir = null;
  if (!tarball) {
    packDir = mkdtempSync(path.join(os.tmpdir(), 'ipckit-js-pack-'));
    const name = npm(['pack', '--silent', '--pack-destination', packDir], JS_DIR).trim().split('\n').pop();
    tarball = path.join(packDir, name);
  }
  try {
    mkdirSync(projectDir, { recursive: true });
    if (!existsSync(path.join(projectDir, 'package.json'))) {
      writeFileSync(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    }
    npm(['install', '--offline', '--loglevel=error', tarball], projectDir);
  } finally {
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  }
  return tarball;
}

// Runs npm quietly (no audit, fund or update checks); returns its stdout.
export function npm(args, cwd) {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

// A Node FileChannel backend and frontend on a fresh directory (the package's
// `FileChannel`, passed in): {dir, backend, frontend, cleanup}.
export async function openChannelPair(FileChannel, frontendOptions = {}) {
  const t = tempDir();
  const backend = await FileChannel.backend(t.dir);
  const frontend = await FileChannel.frontend(t.dir, frontendOptions);
  return {
    dir: t.dir,
    backend,
    frontend,
    cleanup: async () => {
      await frontend.close();
      await backend.close();
      t.cleanup();
    },
  };
}
