// The channel locks from Node (src/node/channel_lock.js) against another
// process that holds only the open file description lock on byte 0x7fffffff,
// which is what a Windows writer under Wine holds (spec/file_channel.md,
// "Locks"): a Node writer waits for it, and the Node lock keeps such a process
// out. Both fail if the helper takes the flock alone. Linux only (the OFD
// lock is Linux's).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIST_ESM, importReady, tempDir, within } from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { FileChannel, TimeoutError } = ipckit;
const { ChannelLockHelper } = await import(path.join(path.dirname(DIST_ESM), 'node', 'channel_lock.js'));

// A Python process that takes only the OFD write lock on byte 0x7fffffff of a
// file. Commands on stdin, one answer line each:
//   "hold"  wait for the lock, keep it -> "locked"
//   "try"   take it if free and give it back at once -> "locked" | "busy"
//   "drop"  give the held lock back -> "dropped"
//   "ping"  -> "pong" (a round trip, the held lock untouched)
const OFD_HOLDER = String.raw`
import fcntl, os, struct, sys
F_OFD_SETLK, F_OFD_SETLKW = 37, 38
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
def lock(cmd, kind):
    fcntl.fcntl(fd, cmd, struct.pack('hhxxxxqqixxxx', kind, os.SEEK_SET, 0x7fffffff, 1, 0))
print('ready', flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'hold':
        lock(F_OFD_SETLKW, fcntl.F_WRLCK)
        print('locked', flush=True)
    elif cmd == 'try':
        try:
            lock(F_OFD_SETLK, fcntl.F_WRLCK)
        except BlockingIOError:
            print('busy', flush=True)
            continue
        lock(F_OFD_SETLK, fcntl.F_UNLCK)
        print('locked', flush=True)
    elif cmd == 'drop':
        lock(F_OFD_SETLK, fcntl.F_UNLCK)
        print('dropped', flush=True)
    elif cmd == 'ping':
        print('pong', flush=True)
`;

// Starts the holder on `file`; resolves once it has the file open.
async function ofdHolder(file) {
  const child = spawn(process.env.IPCKIT_PYTHON || 'python3', ['-c', OFD_HOLDER, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let buffered = '';
  const lines = [];
  const waiters = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { stderr += s; });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    buffered += s;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (waiters.length > 0) waiters.shift()(line);
      else lines.push(line);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const next = (what) => within(10000, Promise.race([
    lines.length > 0 ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiters.push(resolve)),
    exited.then((code) => { throw new Error(`the OFD holder exited (${code}): ${stderr}`); }),
  ]), what);
  const holder = {
    async command(cmd) {
      child.stdin.write(`${cmd}\n`);
      return next(`the OFD holder's answer to ${cmd}`);
    },
    async close() {
      child.stdin.end();
      await within(10000, exited, 'the OFD holder to exit');
    },
  };
  assert.equal(await next('the OFD holder to start'), 'ready');
  return holder;
}

describe('channel locks and a holder of the OFD lock alone (Wine)', { skip: process.platform !== 'linux' }, () => {
  test('a Node writer waits while another process holds only the OFD lock on .lock', async () => {
    const tmp = tempDir();
    const fe = await FileChannel.frontend(tmp.dir);
    const holder = await ofdHolder(path.join(tmp.dir, '.lock'));
    try {
      assert.equal(await holder.command('hold'), 'locked');
      await assert.rejects(fe.sendEvent('early', null, { timeoutMs: 300 }), TimeoutError);
      // An unbounded send waits for it, and goes out once it is released.
      let sent = false;
      const pending = fe.sendEvent('late', { n: 1 }).then(() => { sent = true; });
      assert.equal(await holder.command('ping'), 'pong');
      assert.equal(sent, false, 'the send went out while the OFD lock was held');
      assert.equal(await holder.command('drop'), 'dropped');
      await within(10000, pending, 'the send after the release');
      const methods = ipckit.parseChannelFile(readFileSync(fe.outgoingPath)).map((m) => m.method);
      assert.deepEqual(methods, ['late']);
    } finally {
      await holder.close();
      await fe.close();
      tmp.cleanup();
    }
  });

  test('the Node lock keeps out a process that takes only the OFD lock', async () => {
    const tmp = tempDir();
    const lock = new ChannelLockHelper(tmp.dir);
    const holder = await ofdHolder(path.join(tmp.dir, '.lock'));
    try {
      assert.equal(await holder.command('try'), 'locked', 'free before Node locks');
      await lock.acquire(5000);
      assert.equal(await holder.command('try'), 'busy', 'Node holds .lock');
      await lock.release();
      assert.equal(await holder.command('try'), 'locked', 'free after Node unlocks');
    } finally {
      lock.close();
      await holder.close();
      tmp.cleanup();
    }
  });

  test('a backend holding only the OFD lock on .backend.lock is online, and its release is seen', async () => {
    const tmp = tempDir();
    const probe = new ChannelLockHelper(tmp.dir, { file: '.backend.lock' });
    const holder = await ofdHolder(path.join(tmp.dir, '.backend.lock'));
    try {
      assert.equal(await probe.probe(), false);
      assert.equal(await holder.command('hold'), 'locked');
      assert.equal(await probe.probe(), true);
      // A reader lock probed by path, as writers probe named readers (rule C1).
      assert.equal(await probe.probeFile(path.join(tmp.dir, '.backend.lock')), true);
      let released = false;
      const waiting = probe.waitReleased().then(() => { released = true; });
      assert.equal(await holder.command('ping'), 'pong');
      assert.equal(released, false, 'waitReleased returned while the OFD lock was held');
      assert.equal(await holder.command('drop'), 'dropped');
      await within(10000, waiting, 'waitReleased after the release');
      assert.equal(await probe.probe(), false);
    } finally {
      probe.close();
      await holder.close();
      tmp.cleanup();
    }
  });
});
