// IpcChannel.serve(): one Node server, many clients at once, each a separate
// process (Node, the C++ core through js_peer, Python through the wheel),
// each with its own channel, buffers and backpressure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DIST_ESM, startPeer, uniqueName, within, importReady } from './helpers.mjs';
import { pythonForTests, spawnWithLines } from './python_helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { ClosedError, IpcChannel, IpcServer, PeerClosedError } = ipckit;

// A Node client process: connects, sends `text`, prints the reply, then
// waits for the server to close (prints "closed" on peer_closed).
function nodeClient(name, text) {
  const source = `
    const { IpcChannel, ready } = await import(${JSON.stringify(DIST_ESM)});
    await ready();
    const ch = await IpcChannel.connect(${JSON.stringify(name)}, { timeoutMs: 10000 });
    await ch.send(${JSON.stringify(text)}, { timeoutMs: 10000 });
    console.log(new TextDecoder().decode(await ch.recv({ timeoutMs: 10000 })));
    try { await ch.recv({ timeoutMs: 30000 }); } catch (err) { console.log(err.name === 'PeerClosedError' ? 'closed' : err.name); }
    ch.close();`;
  return spawnWithLines(process.execPath, ['--input-type=module', '-e', source]);
}

function pythonClient(name, text) {
  const source = [
    'import ipckit, sys',
    `ch = ipckit.IpcChannel.connect(${JSON.stringify(name)}, timeout=10)`,
    `ch.send(${JSON.stringify(text)}.encode(), timeout=10)`,
    'print(ch.recv(timeout=10).decode(), flush=True)',
  ].join('\n');
  return spawnWithLines(pythonForTests(), ['-c', source]);
}

// Echoes each message of `client` back as "echo:<message>" until it goes
// (the client left, or the server closed it).
async function echo(client) {
  try {
    for (;;) {
      const msg = new TextDecoder().decode(await client.recv({ timeoutMs: 30000 }));
      await client.send(`echo:${msg}`, { timeoutMs: 10000 });
    }
  } catch (err) {
    if (!(err instanceof PeerClosedError) && !(err instanceof ClosedError)) throw err;
  }
}

describe('IpcChannel.serve: many clients', () => {
  test('Node, C++ and Python clients at once, each answered on its own channel', async () => {
    const name = uniqueName('srv');
    const server = await IpcChannel.serve(name);
    assert.ok(server instanceof IpcServer);
    const echoes = [];
    let connected = 0;
    server.on('connection', (client) => { connected += 1; echoes.push(echo(client)); });
    const gone = new Promise((resolve) => {
      let n = 0;
      server.on('disconnect', () => { if (++n === 4) resolve(); });
    });
    try {
      const nodes = [nodeClient(name, 'n1'), nodeClient(name, 'n2')];
      const py = pythonClient(name, 'py');
      const cc = await startPeer(['ipc_client', name, 'cc'], { ready: false });
      assert.equal(await nodes[0].waitLine(/^echo:/, 20000), 'echo:n1');
      assert.equal(await nodes[1].waitLine(/^echo:/, 20000), 'echo:n2');
      assert.equal(await py.waitLine(/^echo:/, 20000), 'echo:py');
      assert.equal(await cc.exited, 0, cc.stderr);
      assert.ok(cc.lines.includes('echo:cc'), cc.lines.join('\n'));
      assert.equal(await py.exited, 0, py.stderr);
      // The C++ and Python clients are gone; the two Node ones are still connected.
      await within(10000, (async () => { while (server.clients.length !== 2) await new Promise((r) => server.once('disconnect', r)); })(), 'two disconnects');
      assert.equal(connected, 4);

      // close() ends every client's connection and removes the socket file.
      server.close();
      assert.equal(existsSync(server.path), false);
      for (const n of nodes) {
        assert.equal(await n.waitLine(/^closed$/, 20000), 'closed');
        assert.equal(await n.exited, 0, n.stderr);
      }
      await within(10000, gone, 'all four disconnects');
      assert.equal(server.clients.length, 0);
      await Promise.all(echoes);
    } finally {
      server.close();
    }
  });

  test('a client that does not read holds back only its own sends', async () => {
    const name = uniqueName('srvbp');
    const server = await IpcChannel.serve(name);
    const clients = [];
    const arrived = [];
    server.on('connection', (client) => { clients.push(client); arrived.shift()?.(client); });
    const next = () => new Promise((resolve) => arrived.push(resolve));
    try {
      // A client process that connects and never reads a byte.
      const stalledArrives = next();
      const stalled = spawnWithLines(process.execPath, ['-e', `
        const s = require('node:net').createConnection({ path: ${JSON.stringify(server.path)} });
        s.pause();
        s.on('connect', () => console.log('connected'));
        setInterval(() => {}, 1000);`]);
      const slow = await within(20000, stalledArrives, 'the stalled client');
      // Far more than the socket buffers hold: these stay queued on its channel.
      const big = new Uint8Array(1 << 20);
      const pending = [];
      for (let i = 0; i < 32; ++i) pending.push(slow.send(big, { timeoutMs: 60000 }).then(() => 'sent', (e) => e));

      const fastArrives = next();
      const fast = pythonClient(name, 'still answered');
      const client = await within(20000, fastArrives, 'the second client');
      const echoing = echo(client);
      assert.equal(await fast.waitLine(/^echo:/, 20000), 'echo:still answered');
      assert.equal(await fast.exited, 0, fast.stderr);
      await echoing;

      // The stalled client goes: its queued sends fail at once, nothing hangs.
      const slowGone = new Promise((resolve) => server.on('disconnect', (c) => { if (c === slow) resolve(); }));
      stalled.kill();
      await within(10000, slowGone, 'the stalled client disconnects');
      const results = await within(10000, Promise.all(pending), 'the queued sends settle');
      assert.ok(results.some((r) => r instanceof PeerClosedError), results.map(String).join(', '));
      assert.deepEqual(server.clients, []);
    } finally {
      server.close();
    }
  });

  test('a connection nobody listens for is closed, not left hanging', async () => {
    const name = uniqueName('srvnone');
    const server = await IpcChannel.serve(name);
    try {
      const cc = await startPeer(['ipc_client', name, 'x'], { ready: false });
      assert.notEqual(await within(20000, cc.exited, 'the C++ client exits'), 0);
      assert.match(cc.stderr, /peer_closed|closed/i);
    } finally {
      server.close();
    }
  });
});
