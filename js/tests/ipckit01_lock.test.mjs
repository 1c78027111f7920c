// ipckit 0.1's per-file lock (spec/file_channel.md, write protocol step 3)
// from Node writers: FileChannel and the HTTP bridge take <stem>.lock inside
// the .lock flock, remove stale ones, wait for live ones, and share a file
// with an ipckit 0.1-style writer (a separate process that knows only
// <stem>.lock) without losing a message.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIST_ESM, sleep, tempDir, within, importReady } from './helpers.mjs';
import { startBridge } from './python_helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { FileChannel, TimeoutError } = ipckit;

const OUTGOING = 'frontend_to_backend.json';
const LOCK01 = 'frontend_to_backend.lock';

// A pid that belonged to a process which has exited (and been reaped).
function deadPid() {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.throws(() => process.kill(r.pid, 0), { code: 'ESRCH' });
  return r.pid;
}

// A live process to name in a lock file; kill() ends it.
function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { pid: child.pid, exited, kill: () => { child.kill('SIGKILL'); return exited; } };
}

function idsIn(dir) {
  const file = path.join(dir, OUTGOING);
  if (!existsSync(file)) return [];
  return ipckit.parseChannelFile(readFileSync(file), file).map((m) => m.id);
}

function methodsIn(dir) {
  const file = path.join(dir, OUTGOING);
  if (!existsSync(file)) return [];
  return ipckit.parseChannelFile(readFileSync(file), file).map((m) => m.method);
}

// Tracks whether a promise has settled, without handling its rejection.
function track(promise) {
  const state = { settled: false };
  promise.then(() => { state.settled = true; }, () => { state.settled = true; });
  return state;
}

// An ipckit 0.1-style writer: takes ONLY <stem>.lock (O_CREAT|O_EXCL, its pid
// inside, retrying every ms), reads the file, appends one message, writes
// <stem>.tmp pretty-printed, renames it over the file, deletes the lock.
// It holds the lock for `holdMs` between read and rename (a slow writer),
// which makes a lost update near certain for any writer that ignores the lock.
const WRITER_01 = String.raw`
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const [dir, countText, holdMsText] = process.argv.slice(1);
const count = Number(countText);
const holdMs = Number(holdMsText);
const file = path.join(dir, 'frontend_to_backend.json');
const lock = path.join(dir, 'frontend_to_backend.lock');
const temp = path.join(dir, 'frontend_to_backend.tmp');
const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
console.log('ready');
for (let i = 0; i < count; ++i) {
  const started = Date.now();
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, process.pid + '\n');
      fs.closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (Date.now() - started > 10000) { console.error('lock not obtained in 10 s'); process.exit(2); }
      nap(1);
    }
  }
  let messages = [];
  try {
    messages = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  messages.push({ id: 'v01-' + i, timestamp: Date.now(), type: 'event', method: 'v01', payload: { i } });
  nap(holdMs);
  fs.writeFileSync(temp, JSON.stringify(messages, null, 2));
  fs.renameSync(temp, file);
  fs.unlinkSync(lock);
}
`;

// Starts the 0.1-style writer on `dir`; resolves once it runs.
async function startWriter01(dir, count, holdMs) {
  const child = spawn(process.execPath, ['-e', WRITER_01, dir, String(count), String(holdMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { stderr += s; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    exited.then((code) => reject(new Error(`0.1-style writer exited ${code}: ${stderr}`)));
  });
  return { exited, get stderr() { return stderr; }, done: false };
}

function post(url, body, token) {
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),  // the bridge takes no chunked bodies
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, text, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const eventBody = (id, seq) => ipckit.composeChannelFile([
  ipckit.composeMessage({ id, timestamp: Date.now(), type: 'event', method: 'bridge', seq, sender: 'page' }),
]);

describe('ipckit 0.1 lock from Node writers', () => {
  test('a stale 0.1 lock (dead pid, or older than 5 s) is removed and the send goes through', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    try {
      const lock = path.join(tmp.dir, LOCK01);
      // Dead pid, fresh mtime: stale by the pid rule, at once.
      writeFileSync(lock, `${deadPid()}\n`);
      let started = Date.now();
      await fe.sendEvent('after_dead', 1, { timeoutMs: 3000 });
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms: the dead pid was not seen`);
      assert.equal(existsSync(lock), false, 'the stale lock and ours are gone');

      // No pid at all (a writer that died between create and write), 10 s old:
      // stale by the age rule.
      writeFileSync(lock, '');
      const old = new Date(Date.now() - 10000);
      utimesSync(lock, old, old);
      started = Date.now();
      await fe.sendEvent('after_old', 2, { timeoutMs: 3000 });
      assert.ok(Date.now() - started < 2000);
      assert.equal(existsSync(lock), false);

      assert.deepEqual(methodsIn(tmp.dir), ['after_dead', 'after_old']);
    } finally {
      await fe.close();
      tmp.cleanup();
    }
  });

  test('a live 0.1 lock blocks the send until it is released, or until the timeout', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    const holder = liveProcess();
    try {
      const lock = path.join(tmp.dir, LOCK01);
      writeFileSync(lock, `${holder.pid}\n`);

      // Timeout: nothing written, the other writer's lock left alone.
      let started = Date.now();
      await assert.rejects(fe.sendEvent('timed_out', 0, { timeoutMs: 300 }), (err) => {
        assert.ok(err instanceof TimeoutError, String(err));
        assert.match(err.message, /frontend_to_backend\.lock/);
        return true;
      });
      assert.ok(Date.now() - started >= 290, `gave up after ${Date.now() - started} ms`);
      assert.equal(readFileSync(lock, 'utf8'), `${holder.pid}\n`);
      assert.deepEqual(methodsIn(tmp.dir), []);

      // Released by its owner (deleted): the waiting send completes then.
      started = Date.now();
      const waiting = fe.sendEvent('after_release', 1, { timeoutMs: 10000 });
      const state = track(waiting);
      await sleep(300);
      assert.equal(state.settled, false, 'the send waited for the live lock');
      assert.deepEqual(methodsIn(tmp.dir), []);
      unlinkSync(lock);
      await within(5000, waiting, 'send after release');
      assert.ok(Date.now() - started >= 300);
      assert.deepEqual(methodsIn(tmp.dir), ['after_release']);
      assert.equal(existsSync(lock), false);

      // The holder dies while a send waits: its lock becomes stale, the send
      // completes.
      writeFileSync(lock, `${holder.pid}\n`);
      const waiting2 = fe.sendEvent('after_death', 2, { timeoutMs: 10000 });
      const state2 = track(waiting2);
      await sleep(200);
      assert.equal(state2.settled, false);
      await holder.kill();
      await within(5000, waiting2, 'send after the holder died');
      assert.deepEqual(methodsIn(tmp.dir), ['after_release', 'after_death']);
      assert.equal(existsSync(lock), false);
    } finally {
      await holder.kill();
      await fe.close();
      tmp.cleanup();
    }
  });

  test('an ipckit 0.1-style writer and a Node writer appending at once lose nothing', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    try {
      const n01 = 40;
      const writer = await startWriter01(tmp.dir, n01, 2);
      writer.exited.then(() => { writer.done = true; });
      // Node keeps sending (one lock round each) for as long as the 0.1
      // writer runs, so the two overlap throughout.
      let sent = 0;
      while ((!writer.done || sent < 20) && sent < 2000) {
        await fe.sendEvent('node', { i: sent }, { timeoutMs: 10000 });
        sent += 1;
      }
      assert.equal(await within(20000, writer.exited, '0.1-style writer'), 0, writer.stderr);
      assert.ok(sent >= 20);

      const all = ipckit.parseChannelFile(readFileSync(path.join(tmp.dir, OUTGOING)));
      assert.deepEqual(all.filter((m) => m.method === 'v01').map((m) => m.id),
        Array.from({ length: n01 }, (_, i) => `v01-${i}`), '0.1 writer messages all there, in order');
      const mine = all.filter((m) => m.method === 'node');
      assert.deepEqual(mine.map((m) => m.seq), Array.from({ length: sent }, (_, i) => i + 1),
        'Node writer messages all there, in order');
      assert.equal(all.length, n01 + sent);
      assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith('.lock') && f !== '.lock'), [],
        'no 0.1 lock left behind');
    } finally {
      await fe.close();
      tmp.cleanup();
    }
  });
});

describe('ipckit 0.1 lock from the HTTP bridge', () => {
  test('a live 0.1 lock makes an append wait (503 timeout), and it goes through once released', async () => {
    const tmp = tempDir();
    const bridge = await startBridge(tmp.dir);
    const holder = liveProcess();
    try {
      const url = `${bridge.origin}/v1/append/${OUTGOING}`;
      const lock = path.join(tmp.dir, LOCK01);
      writeFileSync(lock, `${holder.pid}\n`);
      const started = Date.now();
      const r = await post(`${url}?timeout_ms=300`, eventBody('b1', 1), bridge.token);
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json.error, 'timeout');
      assert.ok(Date.now() - started >= 290);
      assert.equal(existsSync(lock), true);
      assert.deepEqual(idsIn(tmp.dir), []);

      const waiting = post(`${url}?timeout_ms=10000`, eventBody('b2', 1), bridge.token);
      await sleep(200);
      unlinkSync(lock);
      const ok = await within(5000, waiting, 'append after release');
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(idsIn(tmp.dir), ['b2']);
      assert.equal(existsSync(lock), false);
    } finally {
      await holder.kill();
      await bridge.close();
      tmp.cleanup();
    }
  });

  test('an ipckit 0.1-style writer and bridge appends at once lose nothing', async () => {
    const tmp = tempDir();
    const bridge = await startBridge(tmp.dir);
    try {
      const url = `${bridge.origin}/v1/append/${OUTGOING}?timeout_ms=10000`;
      const n01 = 30;
      const writer = await startWriter01(tmp.dir, n01, 2);
      writer.exited.then(() => { writer.done = true; });
      let sent = 0;
      while ((!writer.done || sent < 15) && sent < 2000) {
        const r = await post(url, eventBody(`page-${sent}`, sent + 1), bridge.token);
        assert.equal(r.status, 200, r.text);
        sent += 1;
      }
      assert.equal(await within(20000, writer.exited, '0.1-style writer'), 0, writer.stderr);
      const ids = idsIn(tmp.dir);
      assert.deepEqual(ids.filter((id) => id.startsWith('v01-')), Array.from({ length: n01 }, (_, i) => `v01-${i}`));
      assert.deepEqual(ids.filter((id) => id.startsWith('page-')), Array.from({ length: sent }, (_, i) => `page-${i}`));
      assert.equal(ids.length, n01 + sent);
    } finally {
      await bridge.close();
      tmp.cleanup();
    }
  });
});
