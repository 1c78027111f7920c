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
// Reads use a hanging GET that the bridge answers when the file changes, so a
// new message arrives within milliseconds and nobody polls. Each read asks for
// a splice against the version it already has (A-IM: ipckit-splice), so the
// bridge sends only what changed, not the whole file every time.
import {
  IpckitError, InvalidArgumentError, PermissionDeniedError, UnsupportedVersionError, fromSystemError, makeError,
} from './errors.js';
import { intOption } from './bytes.js';
import { BACKEND_TO_FRONTEND_FILE, FILE_CHANNEL_FORMAT_VERSION, FRONTEND_TO_BACKEND_FILE, composeChannelFile } from './file_channel_format.js';
import { applySplice } from './splice.js';
import { FileChannelEndpoint } from './file_channel_endpoint.js';
import { ready } from './core.js';
import { signalOption } from './abort.js';

const BRIDGE_VERSION = 1;
const DEFAULT_WAIT_S = 25;

const FILES = {
  backend: { incoming: FRONTEND_TO_BACKEND_FILE, outgoing: BACKEND_TO_FRONTEND_FILE },
  frontend: { incoming: BACKEND_TO_FRONTEND_FILE, outgoing: FRONTEND_TO_BACKEND_FILE },
};

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

  // Connects to the bridge at `baseUrl` (the URL it printed, with its
  // `?token=`) as a frontend. Options: token (instead of the one in the URL),
  // fetch (a fetch implementation, default globalThis.fetch), waitSeconds
  // (hanging GET length, default 25), skipExisting, requestTimeoutMs,
  // sendTimeoutMs, handlerWaitMs (as for FileChannel), signal (an AbortSignal
  // that ends the connect with its reason).
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
  }

  get url() { return this.#base; }
  // The bridge's /v1/info answer.
  get bridgeInfo() { return this.#info; }
  // How many reads came as splices (only what changed) rather than whole files.
  get splicedReads() { return this.#splices; }

  _describe() { return this.#base; }

  async _append(texts, timeoutMs) {
    const name = FILES[this.side].outgoing;
    const query = timeoutMs === Infinity ? '' : `?timeout_ms=${Math.ceil(timeoutMs)}`;
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
    await res.body?.cancel();
  }

  _shutdown() {
    this.#abort.abort();
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
    if (skipExisting) {
      const first = await this.#read(null);
      this._skipAll(first.bytes, first.url);
      etag = first.etag;
    }
    // Deliver what is there after the caller has registered its handlers.
    setTimeout(() => this.#readLoop(etag), 0);
  }

  // One GET of the incoming file: {status, etag, bytes, url, held}.
  async #read(etag) {
    const url = `${this.#base}/v1/files/${FILES[this.side].incoming}`;
    const headers = etag === null ? { ...this.#auth } : { ...this.#auth, 'If-None-Match': etag, Prefer: `wait=${this.#waitS}` };
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
