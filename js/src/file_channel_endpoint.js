// The transport-independent half of a FileChannel endpoint: handlers and
// listeners, pending requests and their timeouts, message composition with
// seq/sender, batching of sends, and delivery of what a reader takes. The
// Node transport (node/file_channel.js: files, lock, fs.watch) and the HTTP
// bridge transport (bridge_file_channel.js: fetch) subclass it and provide
//   _append(texts, timeoutMs)  write message texts to the outgoing file
//   _shutdown()                stop reading
// and call _deliver(bytes, label) with the incoming file's content. Format 2
// transports (spec/file_channel.md) may also provide
//   _claim(message)            resolve true if this endpoint may run the
//                              request's handler (rule C1; default: true)
//   _settled()                 a request left the in-flight set (its
//                              response is written, or it was skipped), so
//                              a named reader's cursor may move past it
// and use _cursorFloor() (the lowest pos still in flight) and _useInbox().
//
//   class MyTransport extends FileChannelEndpoint {
//     async _append(texts, timeoutMs) { /* lock, append, replace */ }
//     _shutdown() { /* stop watching */ }
//   }
import {
  ClosedError, InvalidArgumentError, IpckitError, RemoteError, TimeoutError,
} from './errors.js';
import { timeoutOption } from './bytes.js';
import { onAbort, signalOption } from './abort.js';
import { jsonDumps } from './json.js';
import { Inbox, composeMessage } from './file_channel_format.js';

// Defaults for waits the caller does not bound (conventions: a missing
// argument never means "forever").
export const DEFAULT_REQUEST_TIMEOUT_MS = 30000;
export const DEFAULT_SEND_TIMEOUT_MS = 10000;
// How long a request for a method with no handler waits for one (an app may
// await other things between opening the channel and onRequest()).
export const DEFAULT_HANDLER_WAIT_MS = 5000;

// A random RFC 4122 version-4 UUID, lowercase (crypto.getRandomValues works
// in pages that are not secure contexts too, unlike randomUUID).
export function uuidV4() {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function errorText(err) {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function warn(text) {
  const proc = globalThis.process;
  if (proc && typeof proc.emitWarning === 'function') proc.emitWarning(text, { code: 'IPCKIT_FILE_CHANNEL' });
  else console.warn(text);  // eslint-disable-line no-console
}

// What a FileChannel endpoint dispatches (it is an EventTarget):
//   'message'  every incoming message, after handlers and listeners ran
//              (event.message);
//   'error'    a receive-side problem, as onError() gets it (event.error);
//   'close'    once, when the endpoint closed (close() or a failure).
export class FileChannelEvent extends Event {
  constructor(type, { message = null, error = null } = {}) {
    super(type);
    this.message = message;
    this.error = error;
  }
}

export class FileChannelEndpoint extends EventTarget {
  #side;
  #senderId = uuidV4();
  #requestTimeoutMs;
  #sendTimeoutMs;
  #inbox = new Inbox();
  #nextSeq = 1;
  #outbox = [];            // {message, resolve, reject, timeoutMs}
  #flushing = null;        // the running flush, if any
  #pending = new Map();    // request id -> {resolve, reject, timer, method}
  #requestHandlers = new Map();
  #handlerWaitMs;
  #waitingRequests = new Set();  // {message, timer}: requests parked until a handler is registered
  #inflight = new Map();   // request id -> pos (or undefined): parked, being claimed or handled
  #eventListeners = new Map();
  #errorListeners = new Set();
  #errorEventListeners = new Map();  // 'error' listeners added by addEventListener -> once
  #iterators = new Set();            // live messages() iterators
  #closed = false;
  #closeDispatched = false;

  constructor(side, options = {}) {
    super();
    if (side !== 'frontend' && side !== 'backend') {
      throw new InvalidArgumentError(`FileChannel: side must be "frontend" or "backend", not ${String(side)}`);
    }
    this.#side = side;
    this.#requestTimeoutMs = timeoutOption(options.requestTimeoutMs, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
    this.#sendTimeoutMs = timeoutOption(options.sendTimeoutMs, 'sendTimeoutMs', DEFAULT_SEND_TIMEOUT_MS);
    this.#handlerWaitMs = timeoutOption(options.handlerWaitMs, 'handlerWaitMs', DEFAULT_HANDLER_WAIT_MS);
  }

  get side() { return this.#side; }
  // This endpoint's writer id (the "sender" of what it sends).
  get senderId() { return this.#senderId; }
  get closed() { return this.#closed; }
  // The default bound of a send's lock wait, for subclasses' own writes.
  get _sendTimeoutMs() { return this.#sendTimeoutMs; }

  // Serves requests for `method` ('*': any method without its own handler).
  // The handler gets (params, message); its return value, or what its Promise
  // resolves to, is the response; a throw or rejection becomes an error
  // response with the error's message. Requests that arrived before any
  // handler for their method (within handlerWaitMs) run now. Returns a
  // function that unregisters.
  onRequest(method, handler) {
    if (typeof method !== 'string') throw new InvalidArgumentError('onRequest: method must be a string');
    if (typeof handler !== 'function') throw new InvalidArgumentError('onRequest: handler must be a function');
    this.#requestHandlers.set(method, handler);
    for (const waiting of [...this.#waitingRequests]) {
      if (method === '*' || waiting.message.method === method) {
        this.#waitingRequests.delete(waiting);
        clearTimeout(waiting.timer);
        this.#runRequest(waiting.message, handler);
      }
    }
    return () => {
      if (this.#requestHandlers.get(method) === handler) this.#requestHandlers.delete(method);
    };
  }

  // Calls listener(payload, message) for each event `name` ('*': every event).
  onEvent(name, listener) {
    if (typeof name !== 'string') throw new InvalidArgumentError('onEvent: name must be a string');
    if (typeof listener !== 'function') throw new InvalidArgumentError('onEvent: listener must be a function');
    let set = this.#eventListeners.get(name);
    if (!set) this.#eventListeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  // Problems found while receiving (CorruptError for an unreadable incoming
  // file, DataLossError for pruned messages, a listener's throw). Without a
  // listener they become warnings. Returns an unregister function.
  onError(listener) {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  // Sends a request and resolves with the response's payload; rejects with
  // RemoteError (an error response), TimeoutError (no response within
  // timeoutMs, default 30 s), or the error that stopped the send.
  // options.signal (an AbortSignal) ends the wait with its reason; a request
  // still queued is then withdrawn, one already written is not.
  sendRequest(method, params = null, options = {}) {
    let timeoutMs;
    let message;
    let signal;
    try {
      timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', this.#requestTimeoutMs);
      signal = signalOption(options.signal, 'sendRequest');
      message = this.#newMessage('request', { method: String(method), payload: params });
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry = { resolve: null, reject: null, timer: null };
      let stopAbort = () => {};
      const settle = (err, value) => {
        if (this.#pending.get(message.id) !== entry) return;
        this.#pending.delete(message.id);
        clearTimeout(entry.timer);
        stopAbort();
        if (err) reject(err);
        else resolve(value);
      };
      entry.resolve = (value) => settle(null, value);
      entry.reject = (err) => settle(err);
      stopAbort = onAbort(signal, (reason) => settle(reason));
      if (timeoutMs !== Infinity) {
        entry.timer = setTimeout(() => settle(new TimeoutError(
          `FileChannel: no response to request ${message.id} (${message.method}) within ${timeoutMs} ms`)), timeoutMs);
      }
      // Registered before the write: the response cannot overtake it.
      this.#pending.set(message.id, entry);
      this.#enqueue(message, Math.min(timeoutMs, this.#sendTimeoutMs), signal).catch((err) => settle(err));
    });
  }

  // Sends an event; resolves with its id once it is in the file.
  // options.timestampMs stamps it with that time instead of the clock (for
  // tests that need two messages in one millisecond, without racing for it).
  // options.signal withdraws it while it is still queued (rejecting with the
  // signal's reason); once its write has started it goes out.
  sendEvent(name, payload = null, options = {}) {
    return this.#send('event', { method: String(name), payload }, options);
  }

  // Answers a request by hand (onRequest handlers do this automatically).
  sendResponse(requestId, result = null, options = {}) {
    return this.#send('response', { replyTo: String(requestId), payload: result }, options);
  }

  sendError(requestId, errorMessage, options = {}) {
    return this.#send('response', { replyTo: String(requestId), payload: null, error: String(errorMessage) }, options);
  }

  // Writes what was already sent, stops reading, and fails pending requests
  // with ClosedError. Idempotent.
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await this.#flushing.catch(() => {});
    this._teardown(new ClosedError(`FileChannel ${this._describe()} was closed`));
  }

  // ---- for transports ----

  // What the channel is, for messages ("'/path/dir'", a URL).
  _describe() { return this.#side; }

  // Writes message texts to the outgoing file as one append. Rejects with
  // the error that prevented it (nothing written then).
  async _append(texts, timeoutMs) {  // eslint-disable-line no-unused-vars
    throw new InvalidArgumentError('FileChannelEndpoint._append is not implemented');
  }

  // Stops reading (watchers, timers, requests in flight).
  _shutdown() {}

  // Whether this endpoint may run the handler of request `m` (format 2's
  // claim, rule C1). The default claims everything.
  async _claim(m) {  // eslint-disable-line no-unused-vars
    return true;
  }

  // Whether request `m` may still be claimed (not answered, no live
  // claimant), checked without claiming: a request parked for a handler
  // (C3) must be one nobody has taken. The default: yes.
  async _mayClaim(m) {  // eslint-disable-line no-unused-vars
    return true;
  }

  // Called when a request leaves the in-flight set.
  _settled() {}

  // The lowest pos of a request still parked or being handled (Infinity if
  // none): a named reader's cursor stays below it (rule R6), so a crash
  // before the response leaves the request to be taken over (rule C2).
  _cursorFloor() {
    let floor = Infinity;
    for (const pos of this.#inflight.values()) if (pos !== undefined && pos < floor) floor = pos;
    return floor;
  }

  // Reads through `inbox` from now on (a named reader's NamedInbox, with the
  // interface of Inbox), disposing the previous one.
  _useInbox(inbox) {
    this.#inbox.dispose();
    this.#inbox = inbox;
  }

  // Runs a transport's opening steps, `open()`; if they fail, or `signal`
  // aborts first (ending the wait at once, with its reason), tears the
  // endpoint down and rejects. `open` must check `closed` after each wait.
  async _openAbortable(signal, open) {
    let stop = () => {};
    const aborted = new Promise((_, reject) => { stop = onAbort(signal, reject); });
    try {
      await Promise.race([open(), aborted]);
    } catch (err) {
      this._teardown(err);
      throw err;
    } finally {
      stop();
    }
  }

  // Takes the new messages of the incoming file's current content and
  // dispatches them. A data_loss gap is reported once and the messages after
  // it are delivered; a corrupt file is reported and nothing is consumed.
  // Returns whether anything was taken (or a loss reported).
  _deliver(bytes, label) {
    if (this.#closed) return false;
    let moved = false;
    for (let attempt = 0; attempt < 2; ++attempt) {
      let fresh;
      try {
        fresh = this.#inbox.takeNew(bytes, label);
      } catch (err) {
        this._report(err);
        if (err.errorClass === 'data_loss') {
          moved = true;
          continue;
        }
        return moved;
      }
      for (const m of fresh) this.#dispatch(m);
      return moved || fresh.length > 0;
    }
    return moved;
  }

  // Marks the incoming file's current messages as taken (skipExisting).
  _skipAll(bytes, label) {
    this.#inbox.skipAll(bytes, label);
  }

  // Forgets what was taken (after clear() emptied the files): whatever
  // arrives next is new, and no loss is reported for what clear() removed.
  _resetInbox() {
    this.#inbox.dispose();
    this.#inbox = new Inbox();
  }

  _report(err) {
    if (this.#closed && err instanceof ClosedError) return;
    if (this.#errorEventListeners.size > 0) {
      this.dispatchEvent(new FileChannelEvent('error', { error: err }));
      for (const [listener, once] of [...this.#errorEventListeners]) {
        if (once) this.#errorEventListeners.delete(listener);
      }
    }
    if (this.#errorListeners.size === 0) {
      if (this.#errorEventListeners.size === 0) warn(`ipckit FileChannel: ${errorText(err)}`);
      return;
    }
    for (const listener of [...this.#errorListeners]) {
      try {
        listener(err);
      } catch {
        // An error listener that throws has nowhere else to report to.
      }
    }
  }

  // Ends everything, failing what is pending with `reason`.
  _teardown(reason) {
    this.#closed = true;
    this._shutdown();
    for (const entry of [...this.#pending.values()]) entry.reject(reason);  // clears its timer, leaves the map
    for (const item of this.#outbox.splice(0)) item.reject(reason);
    for (const waiting of this.#waitingRequests) clearTimeout(waiting.timer);
    this.#waitingRequests.clear();
    this.#inflight.clear();
    for (const it of [...this.#iterators]) it.end();
    // A read in flight checks `closed` before it would use the inbox again.
    this.#inbox.dispose();
    if (!this.#closeDispatched) {
      this.#closeDispatched = true;
      this.dispatchEvent(new FileChannelEvent('close', { error: reason instanceof ClosedError ? null : reason }));
    }
  }

  // An 'error' listener counts as handling receive errors (no warning).
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (type === 'error' && listener) {
      const once = typeof options === 'object' && options !== null && Boolean(options.once);
      this.#errorEventListeners.set(listener, once);
    }
  }

  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
    if (type === 'error') this.#errorEventListeners.delete(listener);
  }

  // Incoming messages as an async iterator, from this call on, in file
  // order: `for await (const m of ch.messages({ type: 'event' })) ...`.
  // Options: type ('request' | 'response' | 'event') and method (a method or
  // event name) filter; signal ends the iteration with its reason. The
  // iteration ends when the endpoint closes. Handlers and listeners still
  // run; the iterator sees what they saw.
  messages(options = {}) {
    const signal = signalOption(options.signal, 'messages');
    const { type, method } = options;
    const queue = [];
    let waiter = null;
    let done = false;
    let failure = null;
    const iterators = this.#iterators;
    const finish = (err) => {
      if (done) return;
      done = true;
      failure = err;
      iterators.delete(it);
      stopAbort();
      if (waiter) {
        const w = waiter;
        waiter = null;
        if (err) w.reject(err);
        else w.resolve({ value: undefined, done: true });
      }
    };
    const it = {
      push(m) {
        if ((type !== undefined && m.type !== type) || (method !== undefined && m.method !== method)) return;
        if (waiter) {
          const w = waiter;
          waiter = null;
          w.resolve({ value: m, done: false });
        } else {
          queue.push(m);
        }
      },
      end() { finish(null); },
      next() {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
        if (done) return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => { waiter = { resolve, reject }; });
      },
      return() {
        finish(null);
        queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() { return it; },
    };
    const stopAbort = onAbort(signal, (reason) => finish(reason));
    if (this.#closed) finish(null);
    else if (!done) iterators.add(it);
    return it;
  }

  // Every incoming message: `for await (const m of ch)`.
  [Symbol.asyncIterator]() {
    return this.messages();
  }

  // ---- receiving ----

  #dispatch(m) {
    if (this.#closed) return;
    if (m.type === 'response') this.#onResponse(m);
    else if (m.type === 'request') this.#onRequest(m);
    else if (m.type === 'event') this.#onEvent(m);
    for (const it of [...this.#iterators]) it.push(m);
    this.dispatchEvent(new FileChannelEvent('message', { message: m }));
  }

  #onResponse(m) {
    const entry = this.#pending.get(m.replyTo);
    if (!entry) return;  // not ours (another endpoint's), or already timed out
    if (m.error !== undefined) entry.reject(new RemoteError(m.error, m));
    else entry.resolve(m.payload);
  }

  #onRequest(m) {
    const handler = this.#requestHandlers.get(m.method) || this.#requestHandlers.get('*');
    if (!handler) {
      this.#awaitHandler(m);
      return;
    }
    this.#runRequest(m, handler);
  }

  // Claims request `m` (skipped if another endpoint has it or answered it),
  // runs `handler` and writes its response.
  #runRequest(m, handler) {
    this.#inflight.set(m.id, m.pos);
    (async () => {
      try {
        if (await this._claim(m)) await this.#answer(m, handler);
      } finally {
        this.#inflight.delete(m.id);
        if (!this.#closed) this._settled();
      }
    })().catch((err) => this._report(err));
  }

  async #answer(m, handler) {
    let result;
    try {
      result = await handler(m.payload, m);
    } catch (err) {
      await this.sendError(m.id, errorText(err));
      return;
    }
    try {
      await this.sendResponse(m.id, result === undefined ? null : result);
    } catch (err) {
      // E.g. a result that is not JSON: the requester still gets an answer.
      if (err instanceof IpckitError && err.errorClass !== 'closed' && !this.#closed) {
        await this.sendError(m.id, `the response could not be sent: ${err.message}`);
      }
      throw err;
    }
  }

  // Parks a request until onRequest() registers a handler for its method, or
  // answers it with format 1's error text after handlerWaitMs (spec/
  // file_channel.md, claim rule C3's handler_wait).
  #awaitHandler(m) {
    this.#inflight.set(m.id, m.pos);
    this._mayClaim(m).then((open) => {
      if (this.#closed) return;
      if (!open) {
        // Answered or claimed already (e.g. before a reader started): skip.
        this.#inflight.delete(m.id);
        this._settled();
        return;
      }
      const handler = this.#requestHandlers.get(m.method) || this.#requestHandlers.get('*');
      if (handler) this.#runRequest(m, handler);  // registered during the check
      else this.#park(m);
    }, (err) => {
      this._report(err);
      if (!this.#closed) this.#park(m);
    });
  }

  #park(m) {
    const noHandler = () => this.#runRequest(m, () => {
      throw new Error(`no handler for method '${m.method}'`);
    });
    if (this.#handlerWaitMs === 0) {
      noHandler();
      return;
    }
    const waiting = { message: m, timer: null };
    if (this.#handlerWaitMs !== Infinity) {
      waiting.timer = setTimeout(() => {
        this.#waitingRequests.delete(waiting);
        noHandler();
      }, this.#handlerWaitMs);
    }
    this.#waitingRequests.add(waiting);
  }

  #onEvent(m) {
    for (const key of [m.method, '*']) {
      const set = this.#eventListeners.get(key);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          const r = listener(m.payload, m);
          if (r && typeof r.then === 'function') r.then(undefined, (err) => this._report(err));
        } catch (err) {
          this._report(err);
        }
      }
    }
  }

  // ---- sending ----

  #newMessage(type, fields) {
    if (this.#closed) throw new ClosedError(`FileChannel ${this._describe()} is closed`);
    // Serialize now so that a value that is not JSON fails this call alone.
    const payloadJson = jsonDumps(fields.payload === undefined ? null : fields.payload);
    return {
      id: uuidV4(),
      type,
      method: fields.method,
      replyTo: fields.replyTo,
      payloadJson,
      error: fields.error,
      timestamp: undefined,
    };
  }

  #send(type, fields, options) {
    try {
      const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', this.#sendTimeoutMs);
      const signal = signalOption(options.signal, type === 'event' ? 'sendEvent' : 'sendResponse');
      if (signal && signal.aborted) return Promise.reject(signal.reason);
      const message = this.#newMessage(type, fields);
      if (options.timestampMs !== undefined) {
        if (!Number.isSafeInteger(options.timestampMs) || options.timestampMs < 0) {
          throw new InvalidArgumentError(`timestampMs must be a non-negative integer, not ${String(options.timestampMs)}`);
        }
        message.timestamp = options.timestampMs;
      }
      return this.#enqueue(message, timeoutMs, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Queues a message for the next write. An abort of `signal` withdraws it
  // while it is still queued.
  #enqueue(message, timeoutMs, signal = null) {
    return new Promise((resolve, reject) => {
      const item = { message, resolve: null, reject: null, timeoutMs };
      const stopAbort = onAbort(signal, (reason) => {
        const i = this.#outbox.indexOf(item);
        if (i < 0) return;  // its write has started
        this.#outbox.splice(i, 1);
        reject(reason);
      });
      item.resolve = (v) => { stopAbort(); resolve(v); };
      item.reject = (e) => { stopAbort(); reject(e); };
      if (signal && signal.aborted) return;
      this.#outbox.push(item);
      if (!this.#flushing) this.#startFlush();
    });
  }

  // A send queued after the flush loop saw an empty outbox, but before the
  // flush promise settled, would otherwise wait forever: restart for it.
  #startFlush() {
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = null;
      if (this.#outbox.length > 0) this.#startFlush();
    });
  }

  // Sends queued while a write is in flight go out together in the next one.
  async #flush() {
    while (this.#outbox.length > 0) {
      const batch = this.#outbox.splice(0);
      await this.#writeBatch(batch);
    }
  }

  async #writeBatch(batch) {
    const now = Date.now();
    const texts = [];
    const written = [];
    let seq = this.#nextSeq;
    for (const item of batch) {
      try {
        texts.push(composeMessage({ ...item.message, timestamp: item.message.timestamp ?? now, seq, sender: this.#senderId }));
        written.push(item);
        seq += 1;
      } catch (err) {
        item.reject(err);
      }
    }
    if (written.length === 0) return;
    try {
      await this._append(texts, Math.min(...written.map((i) => i.timeoutMs)));
    } catch (err) {
      // Only messages that reached the file use up a seq: no gap for readers.
      for (const item of written) item.reject(err);
      return;
    }
    this.#nextSeq = seq;
    for (const item of written) item.resolve(item.message.id);
  }
}
