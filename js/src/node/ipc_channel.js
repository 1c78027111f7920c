// IpcChannel for Node: whole messages over a Unix-domain stream socket at the
// path of spec/naming.md, framed as spec/channel_framing.md says, by the
// C++ core's frame codec (WASM). Talks to the C++ core, the Python package
// and ipckit 0.1.
//
//   const server = await IpcChannel.create('jobs');   // /tmp/jobs.sock
//   await server.waitForClient({ timeoutMs: 30000 });
//   const msg = await server.recvJson({ timeoutMs: 5000 });
//
//   const client = await IpcChannel.connect('jobs', { timeoutMs: 5000 });
//   await client.sendJson({ type: 'greeting' });
//   client.close();
//
// Like ipckit 0.1, a server from create() talks to one current client:
// waitForClient() accepts the next one, closing any previous connection.
// IpcChannel.serve() makes a server for many clients at once (IpcServer):
// each connection arrives as its own channel on a 'connection' event.
//
//   const server = await IpcChannel.serve('jobs');
//   server.on('connection', async (client) => {
//     for (;;) await client.send(await client.recv({ timeoutMs: Infinity }));
//   });
//
// Backpressure: sends queue in the channel and go to the socket as it drains.
// Reading pauses once MAX_QUEUED_FRAMES are unread, but never while a send is
// pending, so a pipelining peer that echoes can always make progress.
// A send that times out while still queued is withdrawn: it is never
// delivered. One that times out after its first bytes went to the socket
// cannot be withdrawn from the byte stream, so the connection is closed and
// the peer sees a truncated frame, never the message. A send nobody awaits
// never raises an unhandled rejection. unref() lets a script exit while the
// channel is open.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import {
  ClosedError, InUseError, InvalidArgumentError, PeerClosedError, TimeoutError, fromSystemError,
} from '../errors.js';
import { checkOptions, intOption, timeoutOption, toBytes } from '../bytes.js';
import { DEFAULT_MAX_PAYLOAD, FrameDecoder, frameHeader } from '../frame.js';
import { jsonDumps, jsonLoads } from '../json.js';
import { socketPathFor } from '../names.js';
import { ready } from '../core.js';
import { onAbort, signalOption } from '../abort.js';

const DEFAULT_TIMEOUT_MS = 30000;
// Received frames buffered ahead of recv() before reading pauses.
const MAX_QUEUED_FRAMES = 64;

// IpcServer's hooks, which only IpcChannel calls.
const ACCEPT = Symbol('accept');
const GONE = Symbol('gone');

function deadlineTimer(timeoutMs, onTimeout) {
  return timeoutMs === Infinity ? null : setTimeout(onTimeout, timeoutMs);
}

// One connected socket with its decoder and the frames received ahead.
class Connection {
  constructor(socket, what, maxPayload) {
    this.socket = socket;
    this.what = what;
    this.decoder = new FrameDecoder({ maxPayload });
    this.frames = [];
    this.waiters = [];    // recv() calls waiting for a frame
    this.end = null;      // the final receive error, once the stream ended
    this.closed = false;
    this.outbox = [];     // sends not yet handed to the socket
    this.inFlight = 0;    // sends handed to the socket, not yet flushed
    this.refed = true;
    this.timers = new Set();
    socket.on('drain', () => this.#flushOutbox());
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => this.#finish(
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? this.#endError() : fromSystemError(err, this.what)));
    socket.on('close', () => this.#onEnd());
  }

  #onData(chunk) {
    if (this.end) return;
    try {
      this.decoder.push(chunk);
    } catch {
      // The sticky error, read below once the frames before it are out.
    }
    this.#drainDecoder();
    // A header over the limit is found when the decoder reaches it, possibly
    // only while handing out the frames before it.
    const error = this.decoder.error;
    if (error) {
      this.#finish(error);
      this.socket.destroy();
      return;
    }
    this.#pauseIfFull();
  }

  // Reading pauses only while no send is pending: a peer that answers every
  // message stops reading itself once its replies back up, so pausing while
  // our sends wait on it would deadlock both sides.
  #pauseIfFull() {
    if (this.frames.length >= MAX_QUEUED_FRAMES && this.outbox.length === 0 && this.inFlight === 0) {
      this.socket.pause();
    }
  }

  #drainDecoder() {
    for (;;) {
      let frame;
      try {
        frame = this.decoder.next();
      } catch {
        return;  // the sticky error; #onData reads it from decoder.error
      }
      if (frame === null) return;
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.frames.push(frame);
    }
  }

  #onEnd() {
    if (this.end) return;
    this.#drainDecoder();
    this.#finish(this.#endError());
  }

  // peer_closed at a frame boundary, truncated inside a frame.
  #endError() {
    try {
      this.decoder.finish();
    } catch (err) {
      return err;
    }
    return new PeerClosedError(`${this.what}: the peer closed the connection`);
  }

  #finish(err) {
    if (this.end) return;
    this.end = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    const sendError = err.errorClass === 'peer_closed' || err.errorClass === 'closed'
      ? err : new PeerClosedError(`${this.what}: the connection ended`, { cause: err });
    for (const job of this.outbox.splice(0)) job.settle(sendError);
  }

  recv(timeoutMs, signal) {
    if (this.frames.length > 0) {
      const frame = this.frames.shift();
      if (this.frames.length < MAX_QUEUED_FRAMES / 2 && !this.end) this.socket.resume();
      return Promise.resolve(frame);
    }
    if (this.end) return Promise.reject(this.end);
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = { resolve: null, reject: null };
      // Partial bytes stay in the decoder for the next recv().
      const giveUp = (err) => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        waiter.reject(err);
      };
      const timer = this.#timer(timeoutMs, () => giveUp(new TimeoutError(`${this.what}: no message within ${timeoutMs} ms`)));
      const stopAbort = onAbort(signal, giveUp);
      waiter.resolve = (v) => { this.#clear(timer); stopAbort(); resolve(v); };
      waiter.reject = (e) => { this.#clear(timer); stopAbort(); reject(e); };
      this.waiters.push(waiter);
    });
  }

  send(payload, maxPayload, timeoutMs, signal) {
    if (this.end && this.end.errorClass === 'peer_closed') return Promise.reject(this.end);
    if (this.closed) return Promise.reject(new ClosedError(`${this.what} is closed`));
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    const header = frameHeader(payload.length, { maxPayload });  // TooLargeError: nothing written
    const sent = new Promise((resolve, reject) => {
      const job = { header, payload, written: false, settled: false, timer: null, settle: null, stopAbort: null };
      job.settle = (err) => {
        if (job.settled) return;
        job.settled = true;
        this.#clear(job.timer);
        job.stopAbort();
        if (err) reject(err);
        else resolve();
      };
      // An abort withdraws a send still queued; one whose bytes started
      // going out completes.
      job.stopAbort = onAbort(signal, (reason) => {
        if (job.settled || job.written) return;
        this.outbox.splice(this.outbox.indexOf(job), 1);
        job.settle(reason);
        this.#pauseIfFull();
      });
      job.timer = this.#timer(timeoutMs, () => {
        if (job.settled) return;
        if (!job.written) {
          this.outbox.splice(this.outbox.indexOf(job), 1);
          job.settle(new TimeoutError(`${this.what}: send did not start within ${timeoutMs} ms; it was withdrawn`));
          this.#pauseIfFull();
          return;
        }
        // Part of the frame may be out: close rather than deliver it late.
        job.settle(new TimeoutError(
          `${this.what}: send did not complete within ${timeoutMs} ms; the connection was closed so it is never delivered`));
        this.close();
      });
      this.outbox.push(job);
    });
    // Un-awaited sends must not crash the process; an awaited one still rejects.
    sent.catch(() => {});
    if (this.socket.isPaused()) this.socket.resume();
    this.#flushOutbox();
    return sent;
  }

  #flushOutbox() {
    while (this.outbox.length > 0 && !this.socket.writableNeedDrain && !this.closed) {
      const job = this.outbox.shift();
      job.written = true;
      this.inFlight += 1;
      // One gather write (writev), no copy of the payload.
      this.socket.cork();
      this.socket.write(job.header);
      this.socket.write(job.payload, (err) => {
        this.inFlight -= 1;
        if (!err) job.settle(null);
        else if (err.code === 'EPIPE' || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_DESTROYED') {
          job.settle(new PeerClosedError(`${this.what}: the peer is gone`, { cause: err }));
        } else job.settle(fromSystemError(err, `${this.what}: send`));
        this.#pauseIfFull();
      });
      this.socket.uncork();
    }
  }

  // A deadline of a pending call; unref() reaches it too.
  #timer(timeoutMs, onTimeout) {
    const timer = deadlineTimer(timeoutMs, () => {
      this.timers.delete(timer);
      onTimeout();
    });
    if (!timer) return null;
    this.timers.add(timer);
    if (!this.refed) timer.unref();
    return timer;
  }

  #clear(timer) {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  // Whether this connection keeps the event loop (and so the process) alive.
  setRef(refed) {
    this.refed = refed;
    if (refed) this.socket.ref();
    else this.socket.unref();
    for (const t of this.timers) {
      if (refed) t.ref();
      else t.unref();
    }
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.#finish(new ClosedError(`${this.what} is closed`));
    this.socket.destroy();
    this.decoder.dispose();
  }
}

export class IpcChannel {
  #name;
  #path;
  #maxPayload;
  #server = null;       // net.Server, for a server
  #serverIno = null;    // the socket file we created, to unlink only ours
  #pendingClients = []; // accepted connections not yet taken
  #acceptWaiters = [];
  #current = null;      // Connection
  #closed = false;
  #refed = true;
  #serverOf = null;    // serve(): the IpcServer each connection goes to

  constructor(name, path, maxPayload) {
    this.#name = name;
    this.#path = path;
    this.#maxPayload = maxPayload;
  }

  // Starts a server at the name's socket path. InvalidArgumentError for a bad
  // name; InUseError if a live server (or a non-socket file) has the path; a
  // stale socket file of a dead server is reclaimed.
  static async create(name, options = {}) {
    checkOptions(options, ['maxPayload'], 'IpcChannel.create');
    await ready();
    const path = socketPathFor(name);
    const channel = new IpcChannel(name, path, IpcChannel.#maxPayloadOf(options));
    await channel.#listen();
    return channel;
  }

  // Connects to a server, waiting up to timeoutMs (default 30 s; Infinity
  // allowed) for it to appear; then TimeoutError naming the path.
  static async connect(name, options = {}) {
    checkOptions(options, ['maxPayload', 'timeoutMs', 'signal'], 'IpcChannel.connect');
    const signal = signalOption(options.signal, 'IpcChannel.connect');
    await ready();
    const path = socketPathFor(name);
    const maxPayload = IpcChannel.#maxPayloadOf(options);
    const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS);
    const started = Date.now();
    let backoff = 5;
    for (;;) {
      if (signal && signal.aborted) throw signal.reason;
      try {
        const socket = await IpcChannel.#dial(path);
        const channel = new IpcChannel(name, path, maxPayload);
        channel.#current = new Connection(socket, `channel ${path}`, maxPayload);
        return channel;
      } catch (err) {
        if (err.code !== 'ENOENT' && err.code !== 'ECONNREFUSED') throw fromSystemError(err, `connect to ${path}`);
        const left = timeoutMs - (Date.now() - started);
        if (left <= 0) throw new TimeoutError(`no IpcChannel server at ${path} within ${timeoutMs} ms`);
        // The server's socket file has no change event worth watching for
        // here; a short backoff keeps the wait cheap.
        await new Promise((r) => {
          const timer = setTimeout(() => { stopAbort(); r(); }, Math.min(backoff, left));
          const stopAbort = onAbort(signal, () => { clearTimeout(timer); r(); });
        });
        backoff = Math.min(backoff * 2, 100);
      }
    }
  }

  // A server for many clients at once: an IpcServer whose 'connection'
  // event gives each client its own channel (send, recv, close), with its
  // own buffers and backpressure. Errors as create().
  static async serve(name, options = {}) {
    checkOptions(options, ['maxPayload'], 'IpcChannel.serve');
    await ready();
    const listener = new IpcChannel(name, socketPathFor(name), IpcChannel.#maxPayloadOf(options));
    const server = new IpcServer(listener);
    listener.#serverOf = server;
    await listener.#listen();
    return server;
  }

  static #maxPayloadOf(options) {
    return intOption(options.maxPayload, 'maxPayload', DEFAULT_MAX_PAYLOAD, 0xffffffff);
  }

  static #dial(path) {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  get name() { return this.#name; }
  get path() { return this.#path; }
  get isServer() { return this.#server !== null; }
  get isConnected() { return this.#current !== null && !this.#current.closed && !this.#current.end; }
  get maxPayload() { return this.#maxPayload; }

  // Server: accepts the next client as the current connection, closing any
  // previous one. TimeoutError after timeoutMs (default 30 s).
  async waitForClient(options = {}) {
    checkOptions(options, ['timeoutMs', 'signal'], 'waitForClient');
    const signal = signalOption(options.signal, 'waitForClient');
    this.#checkOpen();
    if (!this.#server) throw new InvalidArgumentError(`${this.#path}: waitForClient is for servers`);
    const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS);
    const socket = await this.#nextClient(timeoutMs, signal);
    if (this.#current) this.#current.close();
    this.#current = this.#adopt(socket);
  }

  // Sends one message (bytes or a string, as UTF-8). TooLargeError (nothing
  // sent) over maxPayload; PeerClosedError if the peer is gone. Do not change
  // the bytes until the returned Promise settles.
  send(data, options = {}) {
    try {
      checkOptions(options, ['timeoutMs', 'signal'], 'send');
      const signal = signalOption(options.signal, 'send');
      const conn = this.#connection();
      const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS);
      return conn.send(toBytes(data, 'message'), this.#maxPayload, timeoutMs, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Receives one message as a Uint8Array. TimeoutError (default 30 s) keeps a
  // partly received frame; PeerClosedError, TruncatedError and TooLargeError
  // are final.
  recv(options = {}) {
    try {
      checkOptions(options, ['timeoutMs', 'signal'], 'recv');
      const signal = signalOption(options.signal, 'recv');
      const conn = this.#connection();
      return conn.recv(timeoutOption(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS), signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // One JSON value per message, as json_dumps writes it.
  sendJson(value, options = {}) {
    try {
      return this.send(jsonDumps(value), options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // The next message parsed as JSON. A message that is not JSON is
  // InvalidArgumentError naming the channel; it is consumed and the channel
  // stays usable.
  async recvJson(options = {}) {
    const bytes = await this.recv(options);
    try {
      return jsonLoads(bytes);
    } catch (err) {
      err.message = `channel ${this.#path}: ${err.message}`;
      throw err;
    }
  }

  // Lets the process exit while this channel is open (its socket, listening
  // socket and pending deadlines stop holding the event loop); ref() undoes
  // it. Both return the channel.
  unref() {
    return this.#setRef(false);
  }

  ref() {
    return this.#setRef(true);
  }

  #setRef(refed) {
    this.#refed = refed;
    if (this.#server) {
      if (refed) this.#server.ref();
      else this.#server.unref();
    }
    for (const s of this.#pendingClients) {
      if (refed) s.ref();
      else s.unref();
    }
    if (this.#current) this.#current.setRef(refed);
    return this;
  }

  #adopt(socket) {
    const conn = new Connection(socket, `channel ${this.#path}`, this.#maxPayload);
    if (!this.#refed) conn.setRef(false);
    return conn;
  }

  // Closes the current connection only; a server can waitForClient() again.
  disconnect() {
    if (this.#current) this.#current.close();
    this.#current = null;
  }

  // Closes the connection and, for a server, stops listening and removes its
  // socket file (if it is still the one it created).
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.disconnect();
    for (const s of this.#pendingClients.splice(0)) s.destroy();
    for (const w of this.#acceptWaiters.splice(0)) w.reject(new ClosedError(`${this.#path} is closed`));
    if (this.#server) {
      this.#server.close();
      try {
        const st = lstatSync(this.#path);
        if (st.ino === this.#serverIno) unlinkSync(this.#path);
      } catch {
        // Already gone.
      }
    }
  }

  #checkOpen() {
    if (this.#closed) throw new ClosedError(`channel ${this.#path} is closed`);
  }

  #connection() {
    this.#checkOpen();
    if (!this.#current) {
      throw new ClosedError(`channel ${this.#path} has no connection${this.#server ? ' (call waitForClient first)' : ''}`);
    }
    return this.#current;
  }

  async #listen() {
    for (let round = 0; round < 3; ++round) {
      const server = net.createServer({ pauseOnConnect: false });
      server.on('connection', (socket) => this.#onConnection(socket));
      try {
        await new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen({ path: this.#path, exclusive: true }, () => {
            server.removeListener('error', reject);
            resolve();
          });
        });
        this.#server = server;
        this.#serverIno = lstatSync(this.#path).ino;
        server.on('error', () => {});  // after listening, errors surface per connection
        return;
      } catch (err) {
        server.close();
        if (err.code !== 'EADDRINUSE') throw fromSystemError(err, `create IpcChannel at ${this.#path}`);
        await this.#reclaimIfStale();
      }
    }
    throw new InUseError(`${this.#path} keeps being taken by another server`);
  }

  // The path is taken: a live server or a non-socket file is in_use; a socket
  // nobody listens on is a dead server's, and is removed.
  async #reclaimIfStale() {
    let st;
    try {
      st = lstatSync(this.#path);
    } catch {
      return;  // vanished: try again
    }
    if (!st.isSocket()) throw new InUseError(`${this.#path} exists and is not a socket`);
    try {
      const probe = await IpcChannel.#dial(this.#path);
      probe.destroy();
      throw new InUseError(`an IpcChannel server is already listening at ${this.#path}`);
    } catch (err) {
      if (err instanceof InUseError) throw err;
      if (err.code !== 'ECONNREFUSED') throw fromSystemError(err, `probing ${this.#path}`);
    }
    try {
      unlinkSync(this.#path);
    } catch (err) {
      if (err.code !== 'ENOENT') throw fromSystemError(err, `removing stale socket ${this.#path}`);
    }
  }

  #onConnection(socket) {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (!this.#refed) socket.unref();
    if (this.#serverOf) {
      const client = new IpcChannel(this.#name, this.#path, this.#maxPayload);
      client.#refed = this.#refed;
      client.#current = client.#adopt(socket);
      const server = this.#serverOf;
      socket.once('close', () => server[GONE](client));
      server[ACCEPT](client);
      return;
    }
    const waiter = this.#acceptWaiters.shift();
    if (waiter) waiter.resolve(socket);
    else this.#pendingClients.push(socket);
  }

  #nextClient(timeoutMs, signal) {
    if (this.#pendingClients.length > 0) return Promise.resolve(this.#pendingClients.shift());
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = { resolve: null, reject: null };
      const giveUp = (err) => {
        const i = this.#acceptWaiters.indexOf(waiter);
        if (i >= 0) this.#acceptWaiters.splice(i, 1);
        waiter.reject(err);
      };
      const timer = deadlineTimer(timeoutMs,
        () => giveUp(new TimeoutError(`no client connected to ${this.#path} within ${timeoutMs} ms`)));
      const stopAbort = onAbort(signal, giveUp);
      waiter.resolve = (s) => { clearTimeout(timer); stopAbort(); resolve(s); };
      waiter.reject = (e) => { clearTimeout(timer); stopAbort(); reject(e); };
      this.#acceptWaiters.push(waiter);
    });
  }
}

// The server IpcChannel.serve() returns. Events: 'connection' (client: an
// IpcChannel for that connection), 'disconnect' (client, once its
// connection closed, by either side), 'close' (after close()). A connection
// that arrives while nobody listens for 'connection' is closed.
export class IpcServer extends EventEmitter {
  #listener;
  #clients = new Set();
  #closed = false;

  constructor(listener) {
    super();
    this.#listener = listener;
  }

  get name() { return this.#listener.name; }
  get path() { return this.#listener.path; }
  get closed() { return this.#closed; }
  // The clients connected now.
  get clients() { return [...this.#clients]; }

  [ACCEPT](client) {
    if (this.#closed || this.listenerCount('connection') === 0) {
      client.close();
      return;
    }
    this.#clients.add(client);
    this.emit('connection', client);
  }

  [GONE](client) {
    if (this.#clients.delete(client)) this.emit('disconnect', client);
  }

  // Lets the process exit while the server (and its clients) are open;
  // ref() undoes it. Both return the server.
  unref() {
    this.#listener.unref();
    for (const c of this.#clients) c.unref();
    return this;
  }

  ref() {
    this.#listener.ref();
    for (const c of this.#clients) c.ref();
    return this;
  }

  // Stops listening, removes the socket file and closes every client.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const c of this.#clients) c.close();
    this.emit('close');
  }
}
