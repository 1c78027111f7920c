// The FileChannel HTTP bridge (js/BRIDGE.md) served from Node: lets a web page
// read a channel directory's files (hanging GET woken by fs.watch) and append
// messages under the channel locks (.lock, then ipckit 0.1's <stem>.lock).
//
//   const bridge = await serveBridge('./ipc_channel', { port: 8765, allowOrigins: ['http://127.0.0.1:3000'] });
//   console.log(bridge.url);   // http://127.0.0.1:8765
//   await bridge.close();
import http from 'node:http';
import { watch as fsWatch, promises as fsp } from 'node:fs';
import path from 'node:path';
import { IpckitError, InvalidArgumentError, fromSystemError, makeError } from '../errors.js';
import { intOption } from '../bytes.js';
import {
  BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, FILE_CHANNEL_FORMAT_VERSION, FRONTEND_TO_BACKEND_FILE,
  MAX_CHANNEL_INFO_BYTES, ChannelFileWriter, scanChannelFile,
} from '../file_channel_format.js';
import { computeSplice } from '../splice.js';
import { ChannelLockHelper } from './channel_lock.js';
import { readChannelFile } from './channel_files.js';
import { appendToChannelFile, ensureChannelInfo, fileOptions, makeChannelDir } from './file_channel.js';

export const BRIDGE_VERSION = 1;
const DEFAULT_MAX_WAIT_MS = 30000;
const DEFAULT_LOCK_TIMEOUT_MS = 10000;
const MAX_LOCK_TIMEOUT_MS = 30000;
// Sent versions kept as splice bases (as the C++ bridge: a few per file,
// bounded in bytes).
const SENT_VERSIONS_PER_FILE = 4;
const MAX_SENT_BYTES = 32 * 1024 * 1024;

// Whether an A-IM header lists ipckit-splice (RFC 3229 instance manipulations).
function acceptsSplice(aIm) {
  return String(aIm || '').split(',').some((item) => item.split(';')[0].trim().toLowerCase() === 'ipckit-splice');
}

const STATUS_OF = {
  invalid_argument: 400,
  corrupt: 400,
  permission_denied: 403,
  not_found: 404,
  too_large: 413,
  timeout: 503,
};

class HttpError extends Error {
  constructor(status, errorClass, message) {
    super(message);
    this.status = status;
    this.errorClass = errorClass;
  }
}

const decoder = new TextDecoder();

export class BridgeServer {
  #dir;
  #options;
  #allowOrigins;
  #readable;
  #appendable;
  #maxWaitMs;
  #server = null;
  #watcher = null;
  #lock;
  #waiters = new Set();  // held GETs: {name, etag, finish}
  #wroteOnce = false;
  #writers = new Map();  // file name -> ChannelFileWriter
  #sent = [];             // {name, etag, bytes}, newest first
  #port = 0;

  constructor(dir, options) {
    this.#dir = dir;
    this.#options = fileOptions(options);
    this.#allowOrigins = new Set((options.allowOrigins || []).map(String));
    this.#maxWaitMs = intOption(options.maxWaitMs, 'maxWaitMs', DEFAULT_MAX_WAIT_MS, 600000);
    this.#readable = [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE, CHANNEL_INFO_FILE];
    this.#appendable = options.allowBackendWrites
      ? [FRONTEND_TO_BACKEND_FILE, BACKEND_TO_FRONTEND_FILE] : [FRONTEND_TO_BACKEND_FILE];
    this.#lock = new ChannelLockHelper(dir);
  }

  get dir() { return this.#dir; }
  get port() { return this.#port; }
  get url() { return `http://127.0.0.1:${this.#port}`; }

  async start(port) {
    await ensureChannelInfo(this.#dir, this.#lock, this.#options.openTimeoutMs, this.#options.fsync);
    this.#watcher = fsWatch(this.#dir, { persistent: true }, (event, filename) => this.#onChange(filename));
    this.#watcher.on('error', () => this.#onChange(null));
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err) => this.#sendError(res, err, req));
    });
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      // 127.0.0.1 only: the bridge is for this machine's pages.
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.removeListener('error', reject);
        resolve();
      });
    });
    this.#port = this.#server.address().port;
  }

  async close() {
    if (this.#watcher) this.#watcher.close();
    this.#watcher = null;
    for (const w of [...this.#waiters]) w.finish(false);
    this.#lock.close();
    for (const writer of this.#writers.values()) writer.dispose();
    this.#writers.clear();
    if (this.#server) {
      this.#server.closeAllConnections?.();
      await new Promise((resolve) => this.#server.close(() => resolve()));
    }
  }

  // ---- routing ----

  async #handle(req, res) {
    this.#checkHost(req);
    const url = req.url || '/';
    // Nothing in a URL becomes a path, but refuse what tries to be one.
    if (/\.\.|%2e|%2f|%5c|%00|\\|\0/i.test(url)) {
      throw new HttpError(400, 'invalid_argument', `path '${url}' is not allowed`);
    }
    const { pathname, searchParams } = new URL(url, 'http://bridge');
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') return this.#preflight(req, res, origin);

    if (pathname === '/v1/info') {
      this.#requireMethod(req, 'GET');
      return this.#info(req, res, origin);
    }
    const file = /^\/v1\/files\/([^/]+)$/.exec(pathname);
    if (file && this.#readable.includes(file[1])) {
      this.#requireMethod(req, 'GET');
      return this.#getFile(req, res, origin, file[1]);
    }
    const append = /^\/v1\/append\/([^/]+)$/.exec(pathname);
    if (append && this.#appendable.includes(append[1])) {
      this.#requireMethod(req, 'POST');
      return this.#append(req, res, origin, append[1], searchParams);
    }
    throw new HttpError(404, 'not_found', `no such bridge resource: ${pathname}`);
  }

  #checkHost(req) {
    const host = String(req.headers.host || '');
    if (host !== `127.0.0.1:${this.#port}` && host !== `localhost:${this.#port}`) {
      throw new HttpError(403, 'permission_denied', `Host '${host}' is not this bridge`);
    }
  }

  #requireMethod(req, method) {
    if (req.method !== method) throw new HttpError(405, 'invalid_argument', `${req.method} is not supported here; use ${method}`);
  }

  #ownOrigins() {
    return [`http://127.0.0.1:${this.#port}`, `http://localhost:${this.#port}`];
  }

  #originAllowed(origin) {
    return origin === undefined || this.#ownOrigins().includes(origin) || this.#allowOrigins.has(origin);
  }

  #corsHeaders(origin) {
    if (origin === undefined || !this.#allowOrigins.has(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': 'ETag, Preference-Applied, IM, Delta-Base, Ipckit-Splice',
      Vary: 'Origin',
    };
  }

  #preflight(req, res, origin) {
    if (origin === undefined || !this.#allowOrigins.has(origin)) {
      throw new HttpError(403, 'permission_denied', `origin ${origin} is not allowed`);
    }
    res.writeHead(204, {
      ...this.#corsHeaders(origin),
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Content-Type, If-None-Match, Prefer, A-IM',
      'Access-Control-Max-Age': '600',
    });
    res.end();
  }

  // ---- handlers ----

  async #info(req, res, origin) {
    const info = readChannelFile(path.join(this.#dir, CHANNEL_INFO_FILE), MAX_CHANNEL_INFO_BYTES);
    this.#sendJson(res, 200, {
      protocol: 'ipckit-bridge',
      bridge_version: BRIDGE_VERSION,
      format_version: FILE_CHANNEL_FORMAT_VERSION,
      channel_info: info.exists ? JSON.parse(decoder.decode(info.bytes)) : null,
      readable: this.#readable,
      appendable: this.#appendable,
      max_file_bytes: this.#options.maxFileBytes,
      max_wait_ms: this.#maxWaitMs,
    }, origin);
  }

  // Versions of channel files recently sent, newest first: the bases a client
  // may ask a splice against. Bounded like the C++ bridge's.
  #rememberSent(name, etag, bytes) {
    if (bytes.length > MAX_SENT_BYTES || this.#findSent(name, etag)) return;
    this.#sent.unshift({ name, etag, bytes });
    let perName = 0;
    let total = 0;
    this.#sent = this.#sent.filter((v) => {
      if (v.name === name) perName += 1;
      total += v.bytes.length;
      const keep = !(v.name === name && perName > SENT_VERSIONS_PER_FILE) && total <= MAX_SENT_BYTES;
      if (!keep) total -= v.bytes.length;
      return keep;
    });
  }

  #findSent(name, etag) {
    return this.#sent.find((v) => v.name === name && v.etag === etag) || null;
  }

  async #etagOf(name) {
    try {
      const st = await fsp.stat(path.join(this.#dir, name), { bigint: true });
      return `"${st.ino}-${st.size}-${st.mtimeNs}"`;
    } catch (err) {
      if (err.code === 'ENOENT') return '"missing"';
      throw fromSystemError(err, `stat '${name}'`);
    }
  }

  async #getFile(req, res, origin, name) {
    const have = req.headers['if-none-match'];
    const wait = /(?:^|[,;\s])wait=(\d+)/.exec(String(req.headers.prefer || ''));
    const waitMs = have && wait ? Math.min(Number(wait[1]) * 1000, this.#maxWaitMs) : 0;
    let etag = await this.#etagOf(name);
    let waited = false;
    if (have === etag && waitMs > 0) {
      waited = true;
      const changed = await this.#waitForChange(name, etag, waitMs, req);
      if (changed === null) return;  // the client went away
      etag = await this.#etagOf(name);
    }
    const headers = { ...this.#corsHeaders(origin), ETag: etag, 'Cache-Control': 'no-store' };
    if (waited) headers['Preference-Applied'] = `wait=${Math.round(waitMs / 1000)}`;
    if (have === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const snap = readChannelFile(path.join(this.#dir, name), this.#options.maxFileBytes);
    // The ETag names the version read, so a client holding these bytes under
    // it can later ask for a splice against exactly them.
    const sentEtag = `"${snap.version}"`;
    headers.ETag = sentEtag;
    headers['Content-Type'] = 'application/json';
    const base = have && acceptsSplice(req.headers['a-im']) ? this.#findSent(name, have) : null;
    const splice = base ? computeSplice(base.bytes, snap.bytes) : null;
    this.#rememberSent(name, sentEtag, snap.bytes);
    if (splice) {
      res.writeHead(226, {
        ...headers,
        IM: 'ipckit-splice',
        'Delta-Base': have,
        'Ipckit-Splice': `${splice.at} ${splice.from} ${splice.to}`,
        'Content-Length': splice.body.length,
      });
      res.end(splice.body);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': snap.bytes.length });
    res.end(snap.bytes);
  }

  // Resolves true when `name` no longer has `etag`, false at the deadline,
  // null if the client disconnected.
  #waitForChange(name, etag, waitMs, req) {
    return new Promise((resolve) => {
      const waiter = {
        name,
        etag,
        finish: (changed) => {
          if (!this.#waiters.delete(waiter)) return;
          clearTimeout(timer);
          req.socket.removeListener('close', onClose);
          resolve(changed);
        },
      };
      const timer = setTimeout(() => waiter.finish(false), waitMs);
      const onClose = () => waiter.finish(null);
      req.socket.once('close', onClose);
      this.#waiters.add(waiter);
      // A change between the etag check and the registration is caught here.
      this.#etagOf(name).then((now) => { if (now !== etag) waiter.finish(true); }, () => waiter.finish(true));
    });
  }

  #onChange(filename) {
    for (const w of [...this.#waiters]) {
      if (filename !== null && filename !== undefined && String(filename) !== w.name) continue;
      this.#etagOf(w.name).then((now) => { if (now !== w.etag) w.finish(true); }, () => w.finish(true));
    }
  }

  async #append(req, res, origin, name, searchParams) {
    if (!this.#originAllowed(origin)) {
      throw new HttpError(403, 'permission_denied', `writes from origin ${origin} are not allowed`);
    }
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpError(415, 'invalid_argument', 'POST needs Content-Type: application/json');
    }
    let timeoutMs = DEFAULT_LOCK_TIMEOUT_MS;
    if (searchParams.has('timeout_ms')) {
      timeoutMs = Number(searchParams.get('timeout_ms'));
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
        throw new HttpError(400, 'invalid_argument', `timeout_ms must be an integer >= 0, got '${searchParams.get('timeout_ms')}'`);
      }
      timeoutMs = Math.min(timeoutMs, MAX_LOCK_TIMEOUT_MS);
    }
    const body = await this.#readBody(req);
    const spans = scanChannelFile(body, 'request body');
    if (spans.length === 0) throw new HttpError(400, 'invalid_argument', 'the request holds no messages');
    const texts = spans.map((s) => decoder.decode(body.subarray(s.begin, s.end)));
    try {
      let writer = this.#writers.get(name);
      if (!writer) this.#writers.set(name, (writer = new ChannelFileWriter()));
      await appendToChannelFile(this.#lock, this.#dir, name, texts, this.#options, timeoutMs, !this.#wroteOnce, writer);
    } catch (err) {
      // The target file, not the request, is corrupt: a conflict to repair.
      if (err instanceof IpckitError && err.errorClass === 'corrupt') throw new HttpError(409, 'corrupt', err.message);
      throw err;
    }
    this.#wroteOnce = true;
    this.#sendJson(res, 200, { appended: texts.length }, origin);
  }

  // The whole body, bounded by max_file_bytes before it is all buffered.
  async #readBody(req) {
    const limit = this.#options.maxFileBytes;
    const declared = Number(req.headers['content-length']);
    if (declared > limit) throw new HttpError(413, 'too_large', `body of ${declared} bytes is over the limit ${limit}`);
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > limit) throw new HttpError(413, 'too_large', `body is over the limit ${limit} bytes`);
      chunks.push(chunk);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  // ---- responses ----

  #sendJson(res, status, value, origin) {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      ...this.#corsHeaders(origin),
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  #sendError(res, err, req) {
    let status = 500;
    let errorClass = 'io';
    if (err instanceof HttpError) {
      ({ status, errorClass } = err);
    } else if (err instanceof IpckitError) {
      errorClass = err.errorClass;
      status = STATUS_OF[errorClass] || 500;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const origin = req.headers.origin;
    this.#sendJson(res, status, { error: errorClass, message: err.message || String(err) },
      origin !== undefined && this.#allowOrigins.has(origin) ? origin : undefined);
  }
}

// Serves the bridge for the channel in `dir` (created like a FileChannel) on
// 127.0.0.1:`port` (0: any free port). Options: port, allowOrigins (origins,
// e.g. 'http://127.0.0.1:3000', whose pages may read and write),
// allowBackendWrites, maxWaitMs (30000), and FileChannel's retention,
// maxFileBytes, fsync, openTimeoutMs.
export async function serveBridge(dir, options = {}) {
  const port = intOption(options.port, 'port', 0, 65535);
  if (options.allowOrigins !== undefined && !Array.isArray(options.allowOrigins)) {
    throw new InvalidArgumentError('allowOrigins must be an array of origins');
  }
  const server = new BridgeServer(await makeChannelDir(dir), options);
  try {
    await server.start(port);
  } catch (err) {
    await server.close();
    throw err instanceof IpckitError ? err : makeError('io', `bridge: ${err.message}`, { cause: err });
  }
  return server;
}
