// The file rules of a channel directory and the lock waits, from Node
// (spec/file_channel.md, "Files in a channel directory" and the write
// protocol): what is refused, that nothing blocks or spins, that files are
// created at open with private modes, and 0.1's clear().
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIST_ESM, tempDir, within, importReady } from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { FileChannel, PermissionDeniedError, TimeoutError } = ipckit;

const modeOf = (p) => lstatSync(p).mode & 0o7777;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// Runs `body` (an async function's source, given `FileChannel`, `dir` and
// `ipckit`) in a separate Node process, so a wait that spins synchronously
// cannot hang this one. Resolves {finished, result, cpuMs, wallMs}: the
// child's own CPU time (process.cpuUsage), not wall time.
function inChild(dir, body, limitMs = 15000) {
  const script = `
    const ipckit = await import(${JSON.stringify(DIST_ESM)});
    await ipckit.ready();
    const { FileChannel } = ipckit;
    const dir = ${JSON.stringify(dir)};
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    let result;
    try { result = await (${body})(); } catch (err) { result = err.errorClass || String(err); }
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ result, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: Date.now() - t0 }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: limitMs, encoding: 'utf8' });
  if (r.status !== 0 || r.error) return { finished: false, stderr: r.stderr };
  return { finished: true, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
}

function makeOld(p) {
  const old = Date.now() / 1000 - 10;
  utimesSync(p, old, old);
}

describe('FileChannel lock waits (issue 9 defect 1)', () => {
  test('a directory named <stem>.lock, stale by age: PermissionDeniedError at once, no spinning', () => {
    const tmp = tempDir();
    try {
      const lock = path.join(tmp.dir, 'frontend_to_backend.lock');
      mkdirSync(lock);
      makeOld(lock);
      for (const timeoutMs of [500, 'undefined']) {
        const r = inChild(tmp.dir, `async () => {
          const fe = await FileChannel.frontend(dir);
          try { await fe.sendEvent('e', 1, { timeoutMs: ${timeoutMs} }); return 'sent'; } finally { await fe.close(); }
        }`);
        assert.ok(r.finished, `the send ignored its deadline: ${r.stderr}`);
        assert.equal(r.result, 'permission_denied');
        assert.ok(r.cpuMs < 1000, `CPU ${r.cpuMs} ms`);
      }
      assert.ok(statSync(lock).isDirectory());
    } finally {
      tmp.cleanup();
    }
  });

  test('a holder that never lets go: TimeoutError by the deadline, little CPU', () => {
    const tmp = tempDir();
    try {
      // A live pid, fresh: a 0.1 writer holding its lock.
      writeFileSync(path.join(tmp.dir, 'frontend_to_backend.lock'), `${process.pid}\n`);
      const r = inChild(tmp.dir, `async () => {
        const fe = await FileChannel.frontend(dir);
        const cpu0 = process.cpuUsage();
        try { await fe.sendEvent('e', 1, { timeoutMs: 1000 }); return 'sent'; }
        catch (err) { const c = process.cpuUsage(cpu0); return [err.errorClass, (c.user + c.system) / 1000]; }
        finally { await fe.close(); }
      }`);
      assert.ok(r.finished, r.stderr);
      const [errorClass, waitCpuMs] = r.result;
      assert.equal(errorClass, 'timeout');
      assert.ok(waitCpuMs < 100, `CPU over a 1 s wait: ${waitCpuMs} ms`);
    } finally {
      tmp.cleanup();
    }
  });

  test('another user\'s stale lock in a sticky directory we may not clean: PermissionDeniedError', { skip: !isRoot && 'needs root' }, () => {
    const tmp = tempDir();
    try {
      chmodSync(tmp.dir, 0o1777);
      const lock = path.join(tmp.dir, 'frontend_to_backend.lock');
      writeFileSync(lock, '1\n');
      chownSync(lock, 65533, 65533);
      makeOld(lock);
      const r = inChild(tmp.dir, `async () => {
        process.setgid(65534); process.setuid(65534);
        const fe = await FileChannel.frontend(dir, { allowSharedDirectory: true });
        try { await fe.sendEvent('e', 1); return 'sent'; } finally { await fe.close(); }
      }`);
      assert.ok(r.finished, r.stderr);
      assert.equal(r.result, 'permission_denied');
      assert.ok(r.cpuMs < 1000, `CPU ${r.cpuMs} ms`);
    } finally {
      tmp.cleanup();
    }
  });

  test('a directory named .lock is refused', async () => {
    const tmp = tempDir();
    try {
      mkdirSync(path.join(tmp.dir, '.lock'));
      await assert.rejects(FileChannel.frontend(tmp.dir, { openTimeoutMs: 2000 }), PermissionDeniedError);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('FileChannel files in a channel directory', () => {
  test('open creates both channel files, 0600, in 0700 directories, whatever the umask', async () => {
    const tmp = tempDir();
    const old = process.umask(0);
    try {
      const dir = path.join(tmp.dir, 'a', 'ch');
      const fe = await FileChannel.frontend(dir);
      await fe.sendEvent('e', 1);
      await fe.close();
      for (const d of [path.join(tmp.dir, 'a'), dir]) assert.equal(modeOf(d), 0o700, d);
      for (const f of ['.channel_info', '.lock', 'backend_to_frontend.json', 'frontend_to_backend.json']) {
        assert.equal(modeOf(path.join(dir, f)), 0o600, f);
      }
      assert.equal(readFileSync(path.join(dir, 'backend_to_frontend.json'), 'utf8'), '[]\n');
    } finally {
      process.umask(old);
      tmp.cleanup();
    }
  });

  test('a group-writable directory is refused unless allowSharedDirectory', async () => {
    const tmp = tempDir();
    try {
      chmodSync(tmp.dir, 0o770);
      await assert.rejects(FileChannel.frontend(tmp.dir), (err) => {
        assert.ok(err instanceof PermissionDeniedError);
        assert.match(err.message, /allowSharedDirectory/);
        return true;
      });
      const fe = await FileChannel.frontend(tmp.dir, { allowSharedDirectory: true });
      await fe.sendEvent('e', 1);
      await fe.close();
    } finally {
      tmp.cleanup();
    }
  });

  test('a symlinked backend_to_frontend.json is refused and its target never read', async () => {
    const tmp = tempDir();
    const secretDir = tempDir();
    try {
      const fe = await FileChannel.frontend(tmp.dir);
      const refusal = new Promise((resolve) => fe.onError(resolve));
      const events = [];
      fe.onEvent('*', (payload) => events.push(payload));
      const secret = path.join(secretDir.dir, 'secret.json');
      writeFileSync(secret, '[{"id":"s","timestamp":1,"type":"event","method":"secret","payload":1}]');
      const incoming = path.join(tmp.dir, 'backend_to_frontend.json');
      unlinkSync(incoming);
      symlinkSync(secret, incoming);
      const err = await within(5000, refusal, 'the refusal');
      assert.ok(err instanceof PermissionDeniedError, String(err));
      assert.match(err.message, /symlink/);
      assert.deepEqual(events, []);
      await fe.close();
    } finally {
      tmp.cleanup();
      secretDir.cleanup();
    }
  });

  test('a FIFO named like the outgoing file does not block a send', async () => {
    const tmp = tempDir();
    try {
      const fe = await FileChannel.frontend(tmp.dir);
      const outgoing = path.join(tmp.dir, 'frontend_to_backend.json');
      unlinkSync(outgoing);
      assert.equal(spawnSync('mkfifo', [outgoing]).status, 0);
      await within(5000, assert.rejects(fe.sendEvent('e', 1, { timeoutMs: 2000 }), PermissionDeniedError), 'the send');
      await fe.close();
    } finally {
      tmp.cleanup();
    }
  });

  test('clear() empties both files under the lock; what comes after is new', async () => {
    const tmp = tempDir();
    try {
      const be = await FileChannel.backend(tmp.dir);
      const fe = await FileChannel.frontend(tmp.dir);
      const got = [];
      let sawNew;
      const newArrived = new Promise((resolve) => { sawNew = resolve; });
      be.onEvent('*', (payload, m) => { got.push(m.method); if (m.method === 'new') sawNew(); });
      await fe.sendEvent('old', 1);
      await be.sendEvent('old_reply', 1);
      await be.clear({ timeoutMs: 5000 });
      for (const f of ['backend_to_frontend.json', 'frontend_to_backend.json']) {
        assert.equal(readFileSync(path.join(tmp.dir, f), 'utf8'), '[]\n', f);
      }
      await fe.sendEvent('new', 2);
      await within(5000, newArrived, 'the new event');
      assert.equal(got.filter((m) => m === 'new').length, 1);
      await fe.close();
      await be.close();
      assert.ok(existsSync(path.join(tmp.dir, '.lock')));
    } finally {
      tmp.cleanup();
    }
  });

  test('sendEvent with timestampMs stamps that millisecond', async () => {
    const tmp = tempDir();
    try {
      const be = await FileChannel.backend(tmp.dir);
      await be.sendEvent('a', 0, { timestampMs: 1700000000123 });
      await be.sendEvent('a', 1, { timestampMs: 1700000000123 });
      await assert.rejects(be.sendEvent('a', 2, { timestampMs: -1 }), ipckit.InvalidArgumentError);
      const file = path.join(tmp.dir, 'backend_to_frontend.json');
      const stamps = ipckit.parseChannelFile(readFileSync(file), file).map((m) => m.timestamp);
      assert.deepEqual(stamps.map(Number), [1700000000123, 1700000000123]);
      await be.close();
    } finally {
      tmp.cleanup();
    }
  });

  test('clear() waits for the lock only until its timeout', async () => {
    const tmp = tempDir();
    try {
      const be = await FileChannel.backend(tmp.dir);
      await be.sendEvent('kept', 1);
      writeFileSync(path.join(tmp.dir, 'frontend_to_backend.lock'), `${process.pid}\n`);  // a live 0.1 holder
      await assert.rejects(be.clear({ timeoutMs: 200 }), TimeoutError);
      assert.notEqual(readFileSync(path.join(tmp.dir, 'backend_to_frontend.json'), 'utf8'), '[]\n');
      await be.close();
    } finally {
      tmp.cleanup();
    }
  });
});
