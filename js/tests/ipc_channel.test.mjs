// IpcChannel: the Node client against the C++ core's server (js_peer
// ipc_server) and the Node server against the C++ client, all separate
// processes on a real Unix-domain socket; plus names, limits and stale sockets.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import { DIST_ESM, startPeer, uniqueName, within, sleep, importReady } from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { IpcChannel, TooLargeError, TimeoutError, PeerClosedError, TruncatedError, InUseError } = ipckit;
const text = (bytes) => Buffer.from(bytes).toString('utf8');

describe('Node client <-> C++ server', () => {
  test('messages both ways, in order, bytes exact', async () => {
    const name = uniqueName('echo');
    const peer = await startPeer(['ipc_server', name]);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000 });
    try {
      assert.equal(ch.path, `/tmp/${name}.sock`);
      for (const m of ['hello', '', 'héllo ✓', 'x'.repeat(100000)]) {
        await ch.send(m);
        assert.equal(text(await ch.recv({ timeoutMs: 5000 })), `echo:${m}`);
      }
      // Pipelined: several sends before any receive.
      await Promise.all(['a', 'b', 'c'].map((m) => ch.send(m)));
      const got = [];
      for (let i = 0; i < 3; ++i) got.push(text(await ch.recv({ timeoutMs: 5000 })));
      assert.deepEqual(got, ['echo:a', 'echo:b', 'echo:c']);
      // Binary.
      await ch.send(new Uint8Array([0, 255, 10, 0]));
      assert.deepEqual([...(await ch.recv({ timeoutMs: 5000 }))], [...Buffer.from('echo:'), 0, 255, 10, 0]);
      await ch.send('quit');
      assert.equal(text(await ch.recv({ timeoutMs: 5000 })), 'bye');
      assert.equal(await within(10000, peer.exited, 'peer exit'), 0, peer.stderr);
      // The server is gone: the next receive is peer_closed, at a boundary.
      await assert.rejects(ch.recv({ timeoutMs: 5000 }), PeerClosedError);
    } finally {
      ch.close();
      peer.kill();
    }
  });

  test('sendJson/recvJson interoperate with the C++ core JSON', async () => {
    const name = uniqueName('json');
    const peer = await startPeer(['ipc_server', name]);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000 });
    try {
      await ch.sendJson({ type: 'greeting', n: 1.5, big: 2n ** 63n });
      // The C++ peer prefixes "echo:"; strip it and parse what it echoed.
      const reply = text(await ch.recv({ timeoutMs: 5000 }));
      assert.equal(reply, 'echo:{"type":"greeting","n":1.5,"big":9223372036854775808}');
      assert.deepEqual(ipckit.jsonLoads(reply.slice(5)), { type: 'greeting', n: 1.5, big: 2n ** 63n });
    } finally {
      ch.close();
      await within(10000, peer.exited, 'peer exit');
    }
  });

  test('an oversized incoming frame is TooLargeError after the frames before it', async () => {
    const name = uniqueName('big');
    const peer = await startPeer(['ipc_server', name]);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000, maxPayload: 1024 });
    try {
      await ch.send('first');
      await ch.send('big:5000');  // the server answers with 5000 bytes > 1024
      assert.equal(text(await ch.recv({ timeoutMs: 5000 })), 'echo:first');
      await assert.rejects(ch.recv({ timeoutMs: 5000 }), (err) => {
        assert.ok(err instanceof TooLargeError, String(err));
        assert.match(err.message, /5000 exceeds the limit 1024/);
        return true;
      });
      // Final: the receiving direction stays broken.
      await assert.rejects(ch.recv({ timeoutMs: 100 }), TooLargeError);
    } finally {
      ch.close();
      await within(10000, peer.exited, 'peer exit');
    }
  });

  test('an oversized outgoing message is refused before anything is sent', async () => {
    const name = uniqueName('send-big');
    const peer = await startPeer(['ipc_server', name, '64']);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000, maxPayload: 64 });
    try {
      await assert.rejects(ch.send('y'.repeat(65)), TooLargeError);
      // Nothing went out: the stream is still well framed.
      await ch.send('after');
      assert.equal(text(await ch.recv({ timeoutMs: 5000 })), 'echo:after');
    } finally {
      ch.close();
      await within(10000, peer.exited, 'peer exit');
    }
  });

  test('recv times out without losing a partly received frame', async () => {
    const name = uniqueName('partial');
    const server = net.createServer();
    const path = `/tmp/${name}.sock`;
    await new Promise((r) => server.listen(path, r));
    const serverSide = new Promise((resolve) => server.once('connection', resolve));
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000 });
    try {
      const sock = await serverSide;
      sock.write(Buffer.from([5, 0, 0, 0, 104, 101]));  // "he" of "hello"
      await assert.rejects(ch.recv({ timeoutMs: 100 }), TimeoutError);
      sock.write(Buffer.from('llo'));
      assert.equal(text(await ch.recv({ timeoutMs: 5000 })), 'hello');
      // A cut inside the next frame is truncated, not peer_closed.
      sock.end(Buffer.from([9, 0, 0, 0, 1]));
      await assert.rejects(ch.recv({ timeoutMs: 5000 }), TruncatedError);
    } finally {
      ch.close();
      server.close();
      rmSync(path, { force: true });
    }
  });
});

describe('Node server <-> C++ client', () => {
  test('a C++ client reaches a Node server', async () => {
    const name = uniqueName('jsserver');
    const server = await IpcChannel.create(name);
    try {
      assert.ok(existsSync(server.path));
      const peer = await startPeer(['ipc_client', name, 'from c++'], { ready: false });
      await server.waitForClient({ timeoutMs: 10000 });
      assert.equal(text(await server.recv({ timeoutMs: 10000 })), 'from c++');
      await server.send('hi from node');
      assert.equal(await within(10000, peer.exited, 'peer exit'), 0, peer.stderr);
      assert.deepEqual(peer.lines, ['hi from node']);
    } finally {
      server.close();
    }
    assert.ok(!existsSync(server.path), 'the server removes its socket file');
  });

  test('waitForClient times out when nobody comes', async () => {
    const server = await IpcChannel.create(uniqueName('lonely'));
    try {
      await assert.rejects(server.waitForClient({ timeoutMs: 50 }), TimeoutError);
      await assert.rejects(server.recv({ timeoutMs: 50 }), ipckit.ClosedError);
    } finally {
      server.close();
    }
  });
});

describe('IpcChannel names and sockets', () => {
  test('a live server is InUseError, a stale socket is reclaimed, a plain file is InUseError', async () => {
    const name = uniqueName('inuse');
    const first = await IpcChannel.create(name);
    await assert.rejects(IpcChannel.create(name), InUseError);
    first.close();

    // A dead server's socket file: the C++ server killed with SIGKILL.
    const stalePath = `/tmp/${name}.sock`;
    const dead = await startPeer(['ipc_server', name]);
    dead.kill();
    await within(10000, dead.exited, 'peer exit');
    assert.ok(existsSync(stalePath), 'a killed server leaves its socket file');
    const reclaimed = await IpcChannel.create(name);
    reclaimed.close();

    writeFileSync(stalePath, 'not a socket');
    try {
      await assert.rejects(IpcChannel.create(name), InUseError);
    } finally {
      rmSync(stalePath, { force: true });
    }
  });

  test('bad names are InvalidArgumentError before any OS call', async () => {
    for (const bad of ['', '.hidden', 'a/b', 'x'.repeat(65), `/${'y'.repeat(200)}`]) {
      await assert.rejects(IpcChannel.create(bad), ipckit.InvalidArgumentError, bad);
      await assert.rejects(IpcChannel.connect(bad), ipckit.InvalidArgumentError, bad);
    }
  });

  test('connect waits for a server that appears later, and times out otherwise', async () => {
    const name = uniqueName('later');
    const pending = IpcChannel.connect(name, { timeoutMs: 5000 });
    await sleep(50);
    const server = await IpcChannel.create(name);
    const client = await pending;
    await server.waitForClient({ timeoutMs: 5000 });
    await client.send('ok');
    assert.equal(text(await server.recv({ timeoutMs: 5000 })), 'ok');
    client.close();
    server.close();
    await assert.rejects(IpcChannel.connect(uniqueName('never'), { timeoutMs: 50 }), TimeoutError);
  });
});
