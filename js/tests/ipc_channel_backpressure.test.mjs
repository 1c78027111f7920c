// IpcChannel backpressure and lifetime (issue 13, defects 4 and 10): pipelined
// sends to a real echo peer (the C++ core's server, another process) never
// deadlock; a send that times out is never delivered later; sends nobody
// awaits never crash the process; unref() lets a script exit.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { DIST_ESM, startPeer, uniqueName, within, runNodeModule, importReady } from './helpers.mjs';

const { IpcChannel, TimeoutError, PeerClosedError, decodeFrames } = await importReady(DIST_ESM);
const text = (bytes) => Buffer.from(bytes).toString('utf8');

// A listener at the name's path that accepts one client and reads nothing
// until told to: the client's sends back up behind a full socket.
async function stalledServer(name) {
  const path = `/tmp/${name}.sock`;
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise((resolve) => server.listen(path, resolve));
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  return { server, accepted };
}

// Reads a socket to its end and decodes the frames in it.
function readAll(socket) {
  const chunks = [];
  socket.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
  socket.resume();
  return done;
}

describe('IpcChannel backpressure', () => {
  test('20,000 pipelined 8-byte sends to an echo peer all complete, echoes in order', async () => {
    const name = uniqueName('pipe');
    const peer = await startPeer(['ipc_server', name]);
    const ch = await IpcChannel.connect(name, { timeoutMs: 10000 });
    try {
      const n = 20000;
      const sends = [];
      for (let i = 0; i < n; ++i) sends.push(ch.send(String(i).padStart(8, '0'), { timeoutMs: 120000 }));
      await within(120000, Promise.all(sends), 'pipelined sends');
      for (let i = 0; i < n; ++i) {
        assert.equal(text(await ch.recv({ timeoutMs: 30000 })), `echo:${String(i).padStart(8, '0')}`);
      }
      await ch.send('quit');
      assert.equal(text(await ch.recv({ timeoutMs: 10000 })), 'bye');
      assert.equal(await within(10000, peer.exited, 'peer exit'), 0, peer.stderr);
    } finally {
      ch.close();
      peer.kill();
    }
  });

  test('a send that times out while queued is withdrawn and never delivered', async () => {
    const name = uniqueName('stall');
    const { server, accepted } = await stalledServer(name);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000 });
    try {
      const peerSocket = await accepted;
      // Far more than the socket buffers hold: it stays in flight.
      const big = new Uint8Array(16 << 20).fill(7);
      const bigSent = ch.send(big, { timeoutMs: 60000 });
      await assert.rejects(ch.send('late', { timeoutMs: 50 }), TimeoutError);
      const received = readAll(peerSocket);
      await within(60000, bigSent, 'big send');
      await ch.send('after', { timeoutMs: 10000 });
      ch.close();
      const { payloads: frames, error } = decodeFrames(await within(30000, received, 'peer read'), { maxPayload: 32 << 20 });
      assert.equal(error, null);
      assert.deepEqual(frames.map((f) => (f.length > 100 ? `big:${f.length}` : text(f))), [`big:${16 << 20}`, 'after']);
    } finally {
      ch.close();
      server.close();
    }
  });

  test('a send that times out part-written closes the connection: the peer never gets it', async () => {
    const name = uniqueName('part');
    const { server, accepted } = await stalledServer(name);
    const ch = await IpcChannel.connect(name, { timeoutMs: 5000 });
    try {
      const peerSocket = await accepted;
      await assert.rejects(ch.send(new Uint8Array(16 << 20), { timeoutMs: 50 }), TimeoutError);
      assert.equal(ch.isConnected, false);
      const bytes = await within(30000, readAll(peerSocket), 'peer read');
      assert.ok(bytes.length < 4 + (16 << 20), `only part of the frame arrived (${bytes.length} bytes)`);
      await assert.rejects(ch.send('next', { timeoutMs: 1000 }), (err) => err.errorClass === 'closed');
    } finally {
      ch.close();
      server.close();
    }
  });
});

describe('IpcChannel lifetime', () => {
  test('sends nobody awaits never crash the process with an unhandled rejection', async () => {
    const name = uniqueName('unawaited');
    const peer = await startPeer(['ipc_server', name]);
    const { code, out } = await runNodeModule(`
      import { IpcChannel } from ${JSON.stringify(DIST_ESM)};
      const ch = await IpcChannel.connect(${JSON.stringify(name)}, { timeoutMs: 5000 });
      ch.send('quit');
      for (let i = 0; i < 2000; ++i) ch.send('x'.repeat(1000), { timeoutMs: 5000 });
      // The peer exits after "quit": the sends behind it fail, unawaited.
      await new Promise((resolve) => {
        const poll = () => ch.recv({ timeoutMs: 5000 }).then(poll, resolve);
        poll();
      });
      await ch.send('one more').catch((e) => console.log('awaited:', e.errorClass));
      ch.close();
    `);
    await within(10000, peer.exited, 'peer exit');
    assert.equal(code, 0, out);
    assert.match(out, /awaited: (peer_closed|closed)/);
  });

  test('unref() lets a script exit with the channel open and a receive pending', async () => {
    const name = uniqueName('unref');
    const peer = await startPeer(['ipc_server', name]);
    try {
      const { code, out } = await within(20000, runNodeModule(`
        import { IpcChannel } from ${JSON.stringify(DIST_ESM)};
        const server = await IpcChannel.create(${JSON.stringify(uniqueName('unref-srv'))});
        const ch = await IpcChannel.connect(${JSON.stringify(name)}, { timeoutMs: 5000 });
        await ch.send('hi');
        console.log(new TextDecoder().decode(await ch.recv({ timeoutMs: 5000 })));
        ch.recv({ timeoutMs: 600000 }).catch(() => {});
        ch.unref().ref().unref();
        server.unref();
        process.on('exit', () => server.close());
      `), 'script with unref');
      assert.equal(code, 0, out);
      assert.match(out, /echo:hi/);
    } finally {
      peer.kill();
    }
  });
});

describe('IpcChannel options', () => {
  test('unknown options are InvalidArgumentError, before any OS call', async () => {
    const { InvalidArgumentError } = await import(DIST_ESM);
    const name = uniqueName('opts');
    await assert.rejects(IpcChannel.connect(name, { timeout: 5000 }), InvalidArgumentError);
    await assert.rejects(IpcChannel.create(name, { maxPayLoad: 10 }), InvalidArgumentError);
    const server = await IpcChannel.create(name);
    try {
      await assert.rejects(server.waitForClient({ timeout: 1 }), InvalidArgumentError);
      const client = await IpcChannel.connect(name, { timeoutMs: 5000 });
      await server.waitForClient({ timeoutMs: 5000 });
      await assert.rejects(client.send('x', { timeOutMs: 1 }), /unknown option "timeOutMs"/);
      await assert.rejects(server.recv({ timeout: 1 }), InvalidArgumentError);
      await assert.rejects(client.sendJson({}, { deadline: 1 }), InvalidArgumentError);
      client.close();
    } finally {
      server.close();
    }
  });
});
