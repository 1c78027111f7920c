// A FileChannel endpoint for web pages (and any JS with fetch): reads and
// writes the channel through the HTTP bridge of spec/bridge.md. Same API as the
// Node FileChannel; messages are composed and parsed by the WASM core.
//
//   import { BridgeFileChannel } from 'ipckit/browser';
//   // The URL the bridge printed; its token= is sent on every request.
//   const ch = await BridgeFileChannel.frontend('http://127.0.0.1:8765/?token=9f86d0...');
//   ch.onEvent('status', (s) => render(s));
//   const user = await ch.sendRequest('getUser', { id: 7 }, { timeoutMs: 5000 });
//
// Reads use one event stream (GET /v1/stream/, Server-Sent Events) on which
// the bridge pushes each new version of the incoming file as it changes, as a
// splice against the version the page holds: a round trip costs the send's
// fetch plus a push. Against a bridge without streams (or a static server)
// it falls back to hanging GETs, each also asking for a splice
// (A-IM: ipckit-splice).
//
// In a browser the page is a named reader (spec/bridge.md, "Named readers"):
// its name is kept in sessionStorage, so a reload resumes from the cursor it
// acknowledged and each tab is a reader of its own; every backend request is
// claimed through the bridge before its handler runs, so one tab handles it.
import {
  IpckitError, InvalidArgumentError, PermissionDeniedError, UnsupportedVersionError, fromSystemError, makeError,
} from './errors.js';
import { intOption } from './bytes.js';
import {
  BACKEND_TO_FRONTEND_FILE, FILE_CHANNEL_FORMAT_VERSION, FRONTEND_TO_BACKEND_FILE, NamedInbox, composeChannelFile,
  composeReaderCursor, validateReaderName,
} from './file_channel_format.js';
import { applySplice } from './splice.js';
import { FileChannelEndpoint } from './file_channel_endpoint.js';
import { ready } from './core.js';
import { signalOption } from './abort.js';

const BRIDGE_VERSION = 1;
const DEFAULT_WAIT_S = 25;
const LF = 10;
// How long an automatic reader name may be in use elsewhere before the page
// takes a fresh one: a reload's old stream may still be closing, while a tab
// duplicated with its sessionStorage keeps the name for good.
const NAME_IN_USE_MS = 2000;
// A named reader's cursor rides on its next append (a response, a send);
// without one for this long it is sent on its own.
const ACK_DELAY_MS = 100;
const DATA = new TextEncoder().encode('data: ');
const TEXT = new TextDecoder();

const FILES = {
  backend: { incoming: FRONTEND_TO_BACKEND_FILE, outgoing: BACKEND_TO_FRONTEND_FILE },
  frontend: { incoming: BACKEND_TO_FRONTEND_FILE, outgoing: FRONTEND_TO_BACKEND_FILE },
};

// One event stream block (up to its blank line) as {id, type, header, body}:
// field lines are read byte by byte, so the data stays the exact bytes sent;
// `header` is the first data line as text, `body` the other data lines
// joined by LF. null for a comment-only block (a heartbeat). Exported for
// the shared vectors (conformance/vectors/bridge/sse_event.json); not part
// of the package's API.
export function parseEventBlock(bytes) {
  let id = null;
  let type = 'message';
  const data = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(LF, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    if (line.length === 0 || line[0] === 0x3a) continue;  // blank, or a ':' comment
    if (DATA.every((b, i) => line[i] === b)) {
      data.push(line.subarray(DATA.length));
    } else {
      const text = TEXT.decode(line);
      if (text.startsWith('id: ')) id = text.slice(4);
      else if (text.startsWith('event: ')) type = text.slice(7);
    }
  }
  if (data.length === 0) return null;
  const size = data.slice(1).reduce((n, d) => n + d.length + 1, -1);
  const body = new Uint8Array(Math.max(size, 0));
  let at = 0;
  for (let i = 1; i < data.length; ++i) {
    if (i > 1) body[at++] = LF;
    body.set(data[i], at);
    at += data[i].length;
  }
  return { id, type, header: TEXT.decode(data[0]), body };
}

// The blocks of an event stream as they arrive, each as its bytes.
async function* eventBlocks(stream) {
  const reader = stream.getReader();
  let buf = new Uint8Array(64 * 1024);
  let len = 0;
  let scanned = 0;  // no blank line ends before this
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (len + value.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, len + value.length));
        grown.set(buf.subarray(0, len));
        buf = grown;
      }
      buf.set(value, len);
      len += value.length;
      let begin = 0;
      for (;;) {
        let end = -1;
        for (let i = Math.max(scanned, begin + 1); i < len; ++i) {
          if (buf[i] === LF && buf[i - 1] === LF) { end = i + 1; break; }
        }
        if (end < 0) break;
        yield buf.slice(begin, end);
        begin = end;
        scanned = end;
      }
      buf.copyWithin(0, begin, len);
      len -= begin;
      scanned = Math.max(len - 1, 0);
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}

// The reader name for `base` kept in this tab's sessionStorage (made and
// stored when there is none, or when `fresh`); null without sessionStorage.
function tabReaderName(base, fresh = false) {
  let storage;
  try {
    storage = globalThis.sessionStorage;
  } catch {
    return null;  // storage blocked for this page
  }
  if (!storage || !globalThis.crypto || !globalThis.crypto.getRandomValues) return null;
  const key = `ipckit.bridge.reader:${base}`;
  const kept = fresh ? null : storage.getItem(key);
  if (kept) return kept;
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  const name = `tab-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  storage.setItem(key, name);
  return name;
}

function jsonOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// The bridge's URL as {base, token}: the token from `?token=` (or
// options.token), the base without query, fragment or trailing slashes.
function splitBridgeUrl(url, token) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return { base: url.replace(/[?#].*$/, '').replace(/\/+$/, ''), token: token ?? null };
  }
  const fromQuery = parsed.searchParams.get('token');
  return { base: `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, ''), token: token ?? fromQuery };
}

// The bridge's JSON error body as an IpckitError.
async function bridgeError(res, what) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: described by the status alone.
  }
  if (body && typeof body.error === 'string') return makeError(body.error, `${what}: ${body.message || body.error}`);
  return makeError(res.status === 404 ? 'not_found' : 'io', `${what}: HTTP ${res.status}`);
}

// A fetch to the bridge at `base` that rejected, as an IpckitError naming
// the URL and the cause. Node's fetch carries the system error (cause.code:
// ECONNREFUSED, ...). A page's fetch says only "Failed to fetch", both when
// nothing answers and when the bridge does not allow the page's origin (it
// sends no CORS headers then); a no-cors request tells the two apart, as it
// reaches a server whatever its CORS headers.
async function fetchFailure(err, base, fetchImpl, what) {
  if (err instanceof IpckitError) return err;
  const noBridge = `${what}: no ipckit bridge answers at ${base} `
    + '(the backend runs it: `ipckit serve DIR`, `python -m ipckit serve DIR` or BridgeServer)';
  const cause = err && err.cause;
  if (cause && typeof cause.code === 'string') return fromSystemError(cause, noBridge);
  const origin = globalThis.location && globalThis.location.origin;
  // A page from file:// reads location.origin as "file://" (or "null") but
  // sends `Origin: null`, which no bridge should allow (BRIDGE.md, Electron).
  const fromFile = origin === 'null' || (typeof origin === 'string' && origin.startsWith('file:'));
  if (fromFile) {
    return makeError('io', `${what}: cannot reach the ipckit bridge at ${base} `
      + `(${err && err.message ? err.message : String(err)}): this page was loaded from file://, so its requests carry `
      + '`Origin: null`, which the bridge should not allow (serve the page over http or a custom scheme and allow '
      + 'that origin, see BRIDGE.md), or the bridge is not running', { cause: err });
  }
  if (origin) {
    let reachable = false;
    try {
      await fetchImpl(`${base}/v1/info`, { mode: 'no-cors', cache: 'no-store' });
      reachable = true;
    } catch {
      // Nothing answers there either.
    }
    if (reachable) {
      return new PermissionDeniedError(`${what}: the bridge at ${base} does not allow this page's origin ${origin}: `
        + `start it with --allow-origin ${origin} (allow_origins in code); see spec/bridge.md`, { cause: err });
    }
  }
  return makeError('io', `${noBridge}: ${err && err.message ? err.message : String(err)}`, { cause: err });
}

export class BridgeFileChannel extends FileChannelEndpoint {
  #base;
  #auth;  // {Authorization: 'Bearer <token>'}, or {} for a bridge without one
  #fetch;
  #waitS;
  #abort = new AbortController();
  #info = null;
  #have = null;  // {etag, bytes}: the incoming file as last read, a splice base
  #splices = 0;
  #useStream;
  #transport = null;  // 'stream' or 'poll' once reading
  #reader = null;     // the named reader's name, or null: anonymous
  #autoName = false;  // the name is this tab's (sessionStorage), replaced when taken
  #skipExisting = false;
  #session = null;    // the open reader's session (its stream's reader event), or null
  #sessionWaiters = [];
  #namedInbox = null;
  #ackedPos = 0;      // the cursor pos last acknowledged
  #ackKey = null;     // the cursor last sent, as JSON
  #acking = null;     // the acknowledgement in flight
  #ackAgain = false;
  #ackTimer = null;
  #offered = new Map();  // request id -> claimed for this page, from the stream's claims events
  #onPageHide = null;

  // Connects to the bridge at `baseUrl` (the URL it printed, with its
  // `?token=`) as a frontend. Options: token (instead of the one in the URL),
  // fetch (a fetch implementation, default globalThis.fetch), waitSeconds
  // (hanging GET length, default 25), stream (false: hanging GETs only, no
  // event stream; default true), skipExisting, requestTimeoutMs,
  // sendTimeoutMs, handlerWaitMs (as for FileChannel), signal (an AbortSignal
  // that ends the connect with its reason), reader (a reader name,
  // [A-Za-z0-9_-]{1,64}, or null for an anonymous reader; default: this
  // tab's name from sessionStorage, anonymous where there is none).
  static frontend(baseUrl, options = {}) {
    return BridgeFileChannel.open(baseUrl, 'frontend', options);
  }

  // As a backend (the bridge must allow writing backend_to_frontend.json).
  static backend(baseUrl, options = {}) {
    return BridgeFileChannel.open(baseUrl, 'backend', options);
  }

  static async open(baseUrl, side, options = {}) {
    if (typeof baseUrl !== 'string' || baseUrl.length === 0) {
      throw new InvalidArgumentError('BridgeFileChannel: the bridge URL must be a non-empty string');
    }
    const signal = signalOption(options.signal, 'BridgeFileChannel.open');
    if (signal && signal.aborted) throw signal.reason;
    await ready();
    const channel = new BridgeFileChannel(baseUrl, side, options);
    await channel._openAbortable(signal, () => channel.#connect(Boolean(options.skipExisting)));
    return channel;
  }

  constructor(url, side, options) {
    super(side, options);
    const { base, token } = splitBridgeUrl(url, options.token);
    this.#base = base;
    this.#auth = token ? { Authorization: `Bearer ${token}` } : {};
    this.#fetch = options.fetch || globalThis.fetch.bind(globalThis);
    this.#waitS = intOption(options.waitSeconds, 'waitSeconds', DEFAULT_WAIT_S, 600);
    this.#useStream = options.stream ?? true;
    if (typeof this.#useStream !== 'boolean') {
      throw new InvalidArgumentError(`BridgeFileChannel: stream must be a boolean, got ${typeof this.#useStream}`);
    }
    if (options.reader === undefined) {
      this.#reader = this.#useStream ? tabReaderName(this.#base) : null;
      this.#autoName = this.#reader !== null;
    } else if (options.reader !== null) {
      validateReaderName(options.reader);
      this.#reader = options.reader;
    }
    if (this.#reader !== null && typeof globalThis.addEventListener === 'function') {
      // A page going away sends what it has taken now (keepalive).
      this.#onPageHide = () => this.#flushAck();
      globalThis.addEventListener('pagehide', this.#onPageHide);
    }
  }

  get url() { return this.#base; }
  // The bridge's /v1/info answer.
  get bridgeInfo() { return this.#info; }
  // How many reads came as splices (only what changed) rather than whole files.
  get splicedReads() { return this.#splices; }
  // How changes arrive: 'stream' (the bridge pushes them), 'poll' (hanging
  // GETs), or null before the first read.
  get transport() { return this.#transport; }
  // The reader name the bridge holds for this page, or null (anonymous).
  get reader() { return this.#reader; }

  // Resolves once the cursor of what this page has taken and answered is
  // acknowledged to the bridge (a reload resumes after it).
  async cursorSaved() {
    this.#flushAck();
    while (this.#acking) await this.#acking;
  }
  _describe() { return this.#base; }

  async _append(texts, timeoutMs) {
    const name = FILES[this.side].outgoing;
    const params = timeoutMs === Infinity ? [] : [`timeout_ms=${Math.ceil(timeoutMs)}`];
    // The named reader's cursor rides along when it has no pos-less ids.
    const carried = this.#acking ? null : this.#pendingCursor();
    if (carried && carried.cursor.ids.length === 0) params.push(`${this.#readerQuery()}&cursor=${carried.cursor.pos}`);
    const query = params.length ? `?${params.join('&')}` : '';
    let res;
    try {
      res = await this.#fetch(`${this.#base}/v1/append/${name}${query}`, {
        method: 'POST',
        headers: { ...this.#auth, 'Content-Type': 'application/json' },
        body: composeChannelFile(texts),
        signal: this.#abort.signal,
      });
    } catch (err) {
      if (this.closed) throw err;
      throw await fetchFailure(err, this.#base, this.#fetch, `append to ${name}`);
    }
    if (!res.ok) throw await bridgeError(res, `bridge ${this.#base}: append to ${name}`);
    if (carried && carried.cursor.ids.length === 0) {
      if ((await res.json()).cursor_saved === true) this.#acked(carried);
    } else {
      await res.body?.cancel();
    }
  }

  _shutdown() {
    this.#abort.abort();
    this.#setSession(null);
    if (this.#ackTimer !== null) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (this.#onPageHide) globalThis.removeEventListener('pagehide', this.#onPageHide);
  }

  // ---- named reader (spec/bridge.md, "Named readers") ----

  #setSession(session) {
    this.#session = session;
    if (session === null && !this.closed) return;
    for (const wake of this.#sessionWaiters.splice(0)) wake();
  }

  #readerQuery() {
    return `reader=${this.#reader}&session=${this.#session}`;
  }

  // Rule C1 through the bridge: whether this page may run request `m`'s
  // handler. Waits for the reader's stream to be open (a reconnect).
  async _claim(m) {
    if (this.#reader === null) return true;
    if (this.#offered.has(m.id)) {
      // Decided by the bridge as its stream offered the request.
      const mine = this.#offered.get(m.id);
      this.#offered.delete(m.id);
      return mine;
    }
    const deadline = Date.now() + this._sendTimeoutMs;
    while (this.#session === null) {
      if (this.closed) return false;
      if (Date.now() >= deadline) {
        throw makeError('timeout', `bridge ${this.#base}: no open stream to claim request ${m.id} through`);
      }
      await new Promise((resolve) => {
        this.#sessionWaiters.push(resolve);
        setTimeout(resolve, Math.max(deadline - Date.now(), 0));
      });
    }
    const incoming = FILES[this.side].incoming;
    const res = await this.#fetch(`${this.#base}/v1/claim/${incoming}?${this.#readerQuery()}`, {
      method: 'POST',
      headers: { ...this.#auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: m.id }),
      signal: this.#abort.signal,
    });
    if (!res.ok) throw await bridgeError(res, `bridge ${this.#base}: claim of request ${m.id}`);
    return (await res.json()).claimed === true;
  }

  _settled() {
    this.#acknowledge();
  }

  // The cursor to acknowledge (rule R6: what the page has, below any
  // request still parked or being handled) as {cursor, key}, or null when
  // there is no open reader or nothing new.
  #pendingCursor() {
    if (this.#namedInbox === null || this.#session === null || this.closed) return null;
    const cursor = this.#namedInbox.cursor();
    const floor = this._cursorFloor();
    if (floor !== Infinity && floor - 1 < cursor.pos) cursor.pos = Math.max(this.#ackedPos, floor - 1);
    const key = JSON.stringify([cursor.pos, cursor.ids]);
    return key === this.#ackKey ? null : { cursor, key };
  }

  #acked(carried) {
    this.#ackKey = carried.key;
    this.#ackedPos = carried.cursor.pos;
  }

  // Schedules an acknowledgement: the next append carries it, or a request
  // of its own after ACK_DELAY_MS.
  #acknowledge() {
    if (this.#ackTimer !== null || this.#pendingCursor() === null) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      this.#flushAck();
    }, ACK_DELAY_MS);
  }

  // Sends the cursor now (POST /v1/cursor/), one request at a time, the
  // newest cursor last.
  #flushAck() {
    if (this.#ackTimer !== null) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (this.#acking) {
      this.#ackAgain = true;
      return;
    }
    const carried = this.#pendingCursor();
    if (carried === null) return;
    const { cursor } = carried;
    const url = `${this.#base}/v1/cursor/${FILES[this.side].incoming}?${this.#readerQuery()}`;
    this.#acking = (async () => {
      try {
        // keepalive: an acknowledgement sent as the page unloads still arrives.
        const res = await this.#fetch(url, {
          method: 'POST',
          headers: { ...this.#auth, 'Content-Type': 'application/json' },
          body: composeReaderCursor({ pos: cursor.pos, ids: cursor.ids, updated: Date.now() }),
          keepalive: true,
        });
        if (!res.ok) throw await bridgeError(res, `bridge ${this.#base}: cursor of reader ${this.#reader}`);
        await res.body?.cancel();
        this.#acked(carried);
      } catch (err) {
        if (!this.closed) this._report(err instanceof IpckitError ? err : makeError('io', err.message, { cause: err }));
      } finally {
        this.#acking = null;
        if (this.#ackAgain) {
          this.#ackAgain = false;
          this.#flushAck();
        }
      }
    })();
  }

  // The bridge's claims for the requests of the file event that follows.
  #onClaimsEvent(event, url) {
    const c = jsonOrNull(event.header);
    if (!c || !Array.isArray(c.mine) || !Array.isArray(c.others)) {
      throw makeError('corrupt', `bridge stream ${url}: a claims event that is not {mine, others} (${event.header})`);
    }
    for (const id of c.mine) this.#offered.set(id, true);
    for (const id of c.others) this.#offered.set(id, false);
  }

  // The stream's first event: the reader's cursor and session.
  #onReaderEvent(event, url) {
    const r = jsonOrNull(event.header);
    if (!r || r.reader !== this.#reader || !Number.isSafeInteger(r.session) || !Number.isSafeInteger(r.pos)
        || !Array.isArray(r.ids)) {
      throw makeError('corrupt', `bridge stream ${url}: a reader event that is not this reader's (${event.header})`);
    }
    if (this.#namedInbox === null) {
      // The first opening: read from the cursor the bridge holds. A
      // reconnect keeps the inbox, which is at or past that cursor.
      this.#namedInbox = new NamedInbox({ pos: r.pos, ids: r.ids });
      this._useInbox(this.#namedInbox);
      this.#ackedPos = r.pos;
      this.#ackKey = JSON.stringify([r.pos, r.ids]);
    }
    this.#setSession(r.session);
  }

  async #connect(skipExisting) {
    let res;
    try {
      res = await this.#fetch(`${this.#base}/v1/info`, { headers: { ...this.#auth }, signal: this.#abort.signal });
    } catch (err) {
      throw await fetchFailure(err, this.#base, this.#fetch, 'BridgeFileChannel');
    }
    if (!res.ok) throw await bridgeError(res, `bridge ${this.#base}`);
    const info = await res.json();
    if (info.protocol !== 'ipckit-bridge') {
      throw new UnsupportedVersionError(`${this.#base} is not an ipckit bridge (protocol ${JSON.stringify(info.protocol)})`);
    }
    if (info.bridge_version !== BRIDGE_VERSION || info.format_version > FILE_CHANNEL_FORMAT_VERSION) {
      throw new UnsupportedVersionError(
        `bridge ${this.#base} speaks bridge version ${info.bridge_version}, format ${info.format_version}; ` +
        `this client knows bridge ${BRIDGE_VERSION}, format ${FILE_CHANNEL_FORMAT_VERSION}`);
    }
    this.#info = info;
    let etag = null;
    this.#skipExisting = skipExisting;
    if (skipExisting && this.#reader === null) {
      const first = await this.#read(null);
      this._skipAll(first.bytes, first.url);
      etag = first.etag;
    }
    // Deliver what is there after the caller has registered its handlers.
    setTimeout(() => this.#receive(etag), 0);
  }

  async #receive(etag) {
    if (this.#useStream && await this.#streamLoop()) return;
    if (!this.closed) this.#readLoop(this.#have ? this.#have.etag : etag);
  }

  // Reads the incoming file's event stream until closed, reconnecting with
  // Last-Event-ID (the version held) so nothing written meanwhile is missed.
  // false at once when the bridge has no streams: the caller polls instead.
  async #streamLoop() {
    const signal = this.#abort.signal;
    let backoffMs = 50;
    let inUseSince = null;
    while (!this.closed) {
      let url = `${this.#base}/v1/stream/${FILES[this.side].incoming}`;
      if (this.#reader !== null) {
        url += `?reader=${this.#reader}`;
        if (this.#skipExisting && this.#namedInbox === null) url += '&start=now';
      }
      try {
        const headers = { ...this.#auth, Accept: 'text/event-stream' };
        if (this.#have) headers['Last-Event-ID'] = this.#have.etag;
        const res = await this.#fetch(url, { headers, cache: 'no-store', signal });
        const type = res.headers.get('Content-Type') || '';
        if (res.status === 503 && this.#namedInbox !== null) {
          // Every stream slot is taken: a named reader waits for one, as its
          // claims and cursor go through its stream.
          await res.body?.cancel();
          await sleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, 1000);
          continue;
        }
        if (res.status === 404 || res.status === 405 || res.status === 503
            || (res.ok && !type.startsWith('text/event-stream'))) {
          await res.body?.cancel();
          this.#reader = null;  // reads by hanging GETs are anonymous
          return false;  // an older bridge, a static server, or every stream slot taken
        }
        if (res.status === 409 && this.#autoName) {
          // This tab's name is held: by the stream of the page this one
          // reloads (closing), or by the tab this one duplicates (for good).
          await res.body?.cancel();
          inUseSince ??= Date.now();
          if (Date.now() - inUseSince >= NAME_IN_USE_MS) {
            this.#reader = tabReaderName(this.#base, true);
            this.#namedInbox = null;
            inUseSince = null;
          }
          await sleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, 250);
          continue;
        }
        if (!res.ok) throw await bridgeError(res, `bridge GET ${url}`);
        this.#transport = 'stream';
        inUseSince = null;
        for await (const block of eventBlocks(res.body)) {
          if (this.closed) return true;
          const event = parseEventBlock(block);
          if (event) await this.#onStreamEvent(event, url);
          backoffMs = 50;
        }
        this.#setSession(null);
      } catch (err) {
        this.#setSession(null);
        if (this.closed || signal.aborted) return true;
        this._report(err instanceof IpckitError ? err : makeError('io', `bridge ${this.#base}: ${err.message}`, { cause: err }));
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 1000);
      }
    }
    return true;
  }

  // Delivers a version of the incoming file, then acknowledges what a named
  // reader took.
  #deliverVersion(bytes, url) {
    if (this._deliver(bytes, url)) this.#acknowledge();
  }

  async #onStreamEvent(event, url) {
    if (event.type === 'reader') {
      this.#onReaderEvent(event, url);
    } else if (event.type === 'claims') {
      this.#onClaimsEvent(event, url);
    } else if (event.type === 'file') {
      if (event.header !== String(event.body.length)) {
        throw makeError('corrupt', `bridge stream ${url}: a file event of ${event.body.length} bytes says ${event.header}`);
      }
      this.#have = event.id ? { etag: event.id, bytes: event.body } : null;
      this.#deliverVersion(event.body, url);
    } else if (event.type === 'splice') {
      const spec = /^(\d+) (\d+) (\d+) (\d+) (.*)$/.exec(event.header);
      const base = this.#have;
      this.#have = null;  // whatever happens, a reconnect asks for the whole file
      if (!spec || !base || spec[5] !== base.etag || Number(spec[4]) !== event.body.length) {
        throw makeError('corrupt', `bridge stream ${url}: a splice (${event.header}) that is not against the version held `
          + `(${base ? base.etag : 'none'})`);
      }
      const bytes = applySplice(base.bytes, Number(spec[1]), Number(spec[2]), Number(spec[3]), event.body);
      this.#splices += 1;
      this.#have = { etag: event.id, bytes };
      this.#deliverVersion(bytes, url);
    } else if (event.type === 'changed') {
      // Bytes an event cannot carry exactly (a CR): read them with a GET.
      const r = await this.#read(this.#have ? this.#have.etag : null, false);
      if (r.status === 200) this.#deliverVersion(r.bytes, r.url);
    } else if (event.type === 'bridge-error') {
      let body = null;
      try { body = JSON.parse(event.header); } catch { /* described below */ }
      throw makeError(body && typeof body.error === 'string' ? body.error : 'io',
        `bridge stream ${url}: ${body && body.message ? body.message : event.header}`);
    }
  }

  // One GET of the incoming file: {status, etag, bytes, url, held}. With an
  // etag and `wait`, a hanging GET.
  async #read(etag, wait = true) {
    const url = `${this.#base}/v1/files/${FILES[this.side].incoming}`;
    const headers = etag === null ? { ...this.#auth } : { ...this.#auth, 'If-None-Match': etag };
    if (etag !== null && wait) headers.Prefer = `wait=${this.#waitS}`;
    const base = etag !== null && this.#have && this.#have.etag === etag ? this.#have : null;
    if (base) headers['A-IM'] = 'ipckit-splice';
    const res = await this.#fetch(url, { headers, cache: 'no-store', signal: this.#abort.signal });
    if (res.status === 304) {
      await res.body?.cancel();
      return { status: 304, etag: res.headers.get('ETag') || etag, bytes: null, url, held: res.headers.has('Preference-Applied') };
    }
    if (!res.ok) throw await bridgeError(res, `bridge GET ${url}`);
    let bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status === 226) bytes = this.#unsplice(res, base, bytes, url);
    const newEtag = res.headers.get('ETag');
    this.#have = newEtag ? { etag: newEtag, bytes } : null;
    return { status: 200, etag: newEtag, bytes, url, held: res.headers.has('Preference-Applied') };
  }

  // The whole new version from a 226 and the base it was made against.
  #unsplice(res, base, body, url) {
    this.#have = null;  // whatever happens, the next read asks for a whole file
    const spec = /^(\d+) (\d+) (\d+)$/.exec(res.headers.get('Ipckit-Splice') || '');
    if (!base || res.headers.get('IM') !== 'ipckit-splice' || res.headers.get('Delta-Base') !== base.etag || !spec) {
      throw makeError('corrupt', `bridge GET ${url}: a 226 response that is not a splice of the version held `
        + `(IM ${res.headers.get('IM')}, Delta-Base ${res.headers.get('Delta-Base')}, Ipckit-Splice ${res.headers.get('Ipckit-Splice')})`);
    }
    const bytes = applySplice(base.bytes, Number(spec[1]), Number(spec[2]), Number(spec[3]), body);
    this.#splices += 1;
    return bytes;
  }

  async #readLoop(etag) {
    this.#transport = 'poll';
    let backoffMs = 50;
    const signal = this.#abort.signal;
    while (!this.closed) {
      const started = Date.now();
      try {
        const r = await this.#read(etag);
        if (this.closed) return;
        if (r.status === 200) this._deliver(r.bytes, r.url);
        const unchanged = r.status === 304 || r.etag === etag;
        etag = r.etag;
        // A server that does not hold requests answers at once: back off
        // instead of spinning (spec/bridge.md, client loop).
        if (unchanged && !r.held && Date.now() - started < 1000) {
          await sleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, 1000);
        } else {
          backoffMs = 50;
        }
      } catch (err) {
        if (this.closed || signal.aborted) return;
        this._report(err instanceof IpckitError ? err : makeError('io', `bridge ${this.#base}: ${err.message}`, { cause: err }));
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 1000);
      }
    }
  }
}
