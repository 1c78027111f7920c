// FileChannel for Node/Electron: request/response and events with a backend
// (C++, Python, another Node process) through the two JSON files of a channel
// directory, with the same locks (.lock and 0.1's <stem>.lock), temp-file and
// rename protocol as the C++ core (spec/file_channel.md) and the format rules
// of the core itself (WASM).
//
//   const ch = await FileChannel.frontend('./ipc_channel');
//   ch.onRequest('getTheme', async (params) => ({ theme: 'dark' }));
//   ch.onEvent('status', (payload) => console.log(payload));
//   const user = await ch.sendRequest('getUser', { id: 7 }, { timeoutMs: 5000 });
//   await ch.close();
//
// Reading wakes on fs.watch of the directory (inotify on Linux), not on a
// timer (polling stat only as the spec's fallback). A watch follows the
// directory's inode, and on Linux it reports nothing when the directory is
// deleted: so the directory's identity is checked on each wake-up, after each
// send and on a slow timer, and the watch is re-armed on a recreated one.
// Every message in the incoming file is delivered once, in file order. Sends issued while a write
// is in flight go out together under one lock.
import {
  closeSync, constants as fsConstants, fstatSync, lstatSync, promises as fsp, statSync, watch as fsWatch, writeSync,
} from 'node:fs';
import path from 'node:path';
import { ClosedError, InvalidArgumentError, TimeoutError, fromSystemError } from '../errors.js';
import { checkOptions, intOption, timeoutOption } from '../bytes.js';
import {
  BACKEND_LOCK_FILE, BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, DEFAULT_MAX_FILE_BYTES, DEFAULT_RETENTION,
  FRONTEND_TO_BACKEND_FILE, MAX_CHANNEL_INFO_BYTES, ChannelFileWriter, ClaimIndex, NamedInbox, appendToChannelText,
  composeChannelInfo, raiseChannelInfo, validateReaderName,
} from '../file_channel_format.js';
import { FileChannelEndpoint, FileChannelEvent } from '../file_channel_endpoint.js';
import { ready } from '../core.js';
import { signalOption } from '../abort.js';
import { ChannelLockHelper } from './channel_lock.js';
import { Ipckit01FileLock } from './ipckit01_lock.js';
import {
  checkChannelDirectory, makePrivateDirs, openOwnedRegularFile, readChannelFile, removeStaleTempFiles,
  replaceFileAtomically,
} from './channel_files.js';
import { NamedReader, claimUnderLock, readerPositions, removeClaims } from './channel_readers.js';

const DEFAULT_OPEN_TIMEOUT_MS = 10000;
// How often a watching channel checks that its directory is still the one it
// watches (a recreated directory is otherwise noticed only by a send).
const DIRECTORY_CHECK_MS = 250;

export const SIDES = {
  backend: { incoming: FRONTEND_TO_BACKEND_FILE, outgoing: BACKEND_TO_FRONTEND_FILE },
  frontend: { incoming: BACKEND_TO_FRONTEND_FILE, outgoing: FRONTEND_TO_BACKEND_FILE },
};

// What FileChannel.open() takes (a typo is InvalidArgumentError, never
// silently ignored).
const OPEN_OPTIONS = [
  'retention', 'maxFileBytes', 'fsync', 'openTimeoutMs', 'allowSharedDirectory', 'skipExisting', 'forcePolling',
  'signal', 'reader', 'start', 'requestTimeoutMs', 'sendTimeoutMs', 'handlerWaitMs',
];
const RETENTION_OPTIONS = ['maxMessages', 'minAgeMs', 'maxBytes', 'ackGraceMs'];

// Options shared by the Node transport and the bridge server.
export function fileOptions(o) {
  const retention = o.retention || {};
  checkOptions(retention, RETENTION_OPTIONS, 'FileChannel retention');
  return {
    retention: {
      maxMessages: intOption(retention.maxMessages, 'retention.maxMessages', DEFAULT_RETENTION.maxMessages, 2 ** 32 - 1),
      minAgeMs: intOption(retention.minAgeMs, 'retention.minAgeMs', DEFAULT_RETENTION.minAgeMs),
      maxBytes: intOption(retention.maxBytes, 'retention.maxBytes', DEFAULT_RETENTION.maxBytes, 2 ** 32 - 1),
      ackGraceMs: intOption(retention.ackGraceMs, 'retention.ackGraceMs', DEFAULT_RETENTION.ackGraceMs),
    },
    maxFileBytes: intOption(o.maxFileBytes, 'maxFileBytes', DEFAULT_MAX_FILE_BYTES, 2 ** 32 - 1, 1),
    fsync: Boolean(o.fsync),
    openTimeoutMs: timeoutOption(o.openTimeoutMs, 'openTimeoutMs', DEFAULT_OPEN_TIMEOUT_MS),
    allowSharedDirectory: Boolean(o.allowSharedDirectory),
  };
}

// Checks a channel directory path, creates the directory (mkdir -p, 0700)
// and checks it (checkChannelDirectory: refused if shared, unless
// `allowShared`).
export async function makeChannelDir(dir, allowShared = false) {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgumentError('FileChannel: the directory path must be a non-empty string');
  }
  if (dir.includes('\0')) throw new InvalidArgumentError('FileChannel: the directory path contains a NUL byte');
  const resolved = path.resolve(dir);
  makePrivateDirs(resolved);
  checkChannelDirectory(resolved, allowShared);
  return resolved;
}

function exists(file) {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

// Creates <dir>/.channel_info under the lock if it is missing, raises one of
// an older format to this one (the core's rule, spec/file_channel.md,
// ".channel_info" rule 3: keeping "created" and the file's mode), and
// validates it (UnsupportedVersionError, CorruptError). With `channelFiles`,
// also creates each missing channel file as an empty channel, as ipckit 0.1
// does at open (the core's EnsureChannelFiles).
export async function ensureChannelInfo(dir, lock, timeoutMs, fsync, allowShared = false, channelFiles = false) {
  const file = path.join(dir, CHANNEL_INFO_FILE);
  const names = channelFiles ? [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE] : [];
  const raised = (info) => (info.exists ? raiseChannelInfo(info.bytes, Date.now(), file) : null);
  const info = readChannelFile(file, MAX_CHANNEL_INFO_BYTES, allowShared);
  if (info.exists && raised(info) === null && names.every((n) => exists(path.join(dir, n)))) return;
  await lock.withLock(timeoutMs, async () => {
    const current = readChannelFile(file, MAX_CHANNEL_INFO_BYTES, allowShared);
    if (!current.exists) {
      replaceFileAtomically(dir, CHANNEL_INFO_FILE, composeChannelInfo(Date.now()), 0, fsync, allowShared);
    } else {
      const text = raised(current);
      if (text !== null) replaceFileAtomically(dir, CHANNEL_INFO_FILE, text, current.mode, fsync, allowShared);
    }
    for (const n of names) {
      if (!exists(path.join(dir, n))) replaceFileAtomically(dir, n, EMPTY_CHANNEL, 0, fsync, allowShared);
    }
  });
}

// What an empty channel file holds.
const EMPTY_CHANNEL = '[]\n';

// ipckit 0.1's clear(): replaces both channel files of `dir` with an empty
// channel, under .lock and both 0.1 locks (all taken before any change, so a
// timeout changes nothing), keeping each file's mode.
export async function emptyChannelFiles(lock, dir, options, timeoutMs) {
  const names = [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE];
  const shared = options.allowSharedDirectory;
  await lock.withLock(timeoutMs, async (deadlineMs) => {
    const held = [];
    try {
      for (const n of names) held.push(await Ipckit01FileLock.acquire(dir, n, deadlineMs, shared));
      for (const n of names) {
        let mode = 0;
        try {
          const fd = openOwnedRegularFile(path.join(dir, n), fsConstants.O_RDONLY, 0o600, shared);
          try { mode = fstatSync(fd).mode & 0o7777; } finally { closeSync(fd); }
        } catch (err) {
          if (err.errorClass !== 'not_found') throw err;
        }
        replaceFileAtomically(dir, n, EMPTY_CHANNEL, mode, options.fsync, shared);
        removeClaims(dir, n);
      }
    } finally {
      for (const h of held) h.release();
    }
  });
}

// The whole write protocol for <dir>/<name>, as every Node writer (FileChannel,
// the bridge) performs it: flock .lock through `lock`, take ipckit 0.1's
// <stem>.lock inside it (the same timeout covers both), appendUnderLock, then
// unlock in reverse order (0.1 lock, then .lock). `writer` (a
// ChannelFileWriter kept for this file) spares rescanning what it wrote last.
export async function appendToChannelFile(lock, dir, name, texts, options, timeoutMs, removeStaleTemps, writer) {
  await lock.withLock(timeoutMs, async (deadlineMs) => {
    const ipckit01 = await Ipckit01FileLock.acquire(dir, name, deadlineMs, options.allowSharedDirectory);
    try {
      await appendUnderLock(lock, dir, name, texts, options, removeStaleTemps, writer);
    } finally {
      ipckit01.release();
    }
  });
}

// The write protocol's locked part for <dir>/<name>: read, append (pos
// stamped) with retention by the named readers' cursors (refusing a corrupt
// file), replace atomically. Call with both locks held (appendToChannelFile);
// `lock` is the .lock helper, which probes reader locks.
export async function appendUnderLock(lock, dir, name, texts, options, removeStaleTemps, writer) {
  if (removeStaleTemps) removeStaleTempFiles(dir);
  const file = path.join(dir, name);
  const nowMs = Date.now();
  const positions = await readerPositions(lock, dir, name, options, nowMs);
  const current = readChannelFile(file, options.maxFileBytes, options.allowSharedDirectory);
  const appendOptions = {
    label: file,
    retention: options.retention,
    nowMs,
    maxFileBytes: options.maxFileBytes,
    readerPositions: positions,
  };
  const result = writer
    ? writer.append(current.bytes, texts, appendOptions)
    : appendToChannelText(current.bytes, texts, appendOptions);
  replaceFileAtomically(dir, name, result.bytes, current.exists ? current.mode : 0, options.fsync,
    options.allowSharedDirectory);
}

export class FileChannel extends FileChannelEndpoint {
  #dir;
  #options;
  #lock;
  #writer = new ChannelFileWriter();
  #claimIndex = new ClaimIndex();  // the request and reply files as the last claim scanned them
  #watcher = null;
  #watchedDir = null;  // "<dev>:<ino>" of the directory #watcher watches
  #dirCheckTimer = null;
  #refusedDir = null;  // "<dev>:<ino>" of a replacement already refused (reported once)
  #pollTimer = null;
  #startTimer = null;
  #reading = false;
  #readAgain = false;
  #reader = null;        // a named reader's NamedReader (lock and cursor file)
  #inbox = null;         // its NamedInbox (the endpoint reads through it)
  #livenessLock = null;  // a backend's helper holding .backend.lock
  #liveness = null;      // a frontend's watch: {helper, online, dirty, wake, first}

  // Opens the frontend end of the channel in `dir`, creating what is missing:
  // the directory and its parents (0700), .channel_info and both channel
  // files (empty, 0600), as ipckit 0.1 does. Options:
  //   retention: {maxMessages = 1000, minAgeMs = 60000}: when writers prune;
  //   maxFileBytes = 64 MiB: per channel file, read and write;
  //   fsync = false: fsync writes (survive power loss);
  //   reader: a name ([A-Za-z0-9_-]{1,64}) for this reader: it keeps a
  //     cursor in the directory and resumes from it when an endpoint with
  //     the name opens again (a reload neither replays events nor misses
  //     what came meanwhile); one process at a time per name (InUseError).
  //     Default: anonymous (memory only: a restart takes the file's
  //     messages again, except requests already answered or claimed);
  //   start = 'all': 'now' takes only messages appended after the open;
  //   skipExisting = false: the same as start: 'now' (format 1's name);
  //   openTimeoutMs = 10000, sendTimeoutMs = 10000: lock waits;
  //   requestTimeoutMs = 30000: sendRequest's default timeout;
  //   handlerWaitMs = 5000: how long a request for a method with no handler
  //     waits for onRequest() to register one (0: answer "no handler" at once);
  //   forcePolling = false: poll the incoming file's stat instead of
  //     fs.watch (the spec's fallback, also used when watching fails);
  //   signal: an AbortSignal that ends the open (its lock wait) with its reason;
  //   allowSharedDirectory = false: accept a directory another user owns or
  //     that group or others can write, and other users' files in it (they
  //     can then read, forge or delete every message); without it such a
  //     directory is refused with PermissionDeniedError.
  // A backend holds .backend.lock while it is open; a frontend's
  // backendOnline() and its 'online'/'offline' events tell whether one does.
  static frontend(dir, options = {}) {
    return FileChannel.open(dir, 'frontend', options);
  }

  // The backend end: the same protocol from the other side.
  static backend(dir, options = {}) {
    return FileChannel.open(dir, 'backend', options);
  }

  static async open(dir, side, options = {}) {
    if (!SIDES[side]) throw new InvalidArgumentError(`FileChannel: side must be "frontend" or "backend", not ${String(side)}`);
    checkOptions(options, OPEN_OPTIONS, 'FileChannel.open');
    const signal = signalOption(options.signal, 'FileChannel.open');
    if (signal && signal.aborted) throw signal.reason;
    await ready();
    const parsed = {
      ...fileOptions(options), forcePolling: Boolean(options.forcePolling), reader: null, startNow: Boolean(options.skipExisting),
    };
    if (options.reader !== undefined && options.reader !== null) {
      validateReaderName(options.reader);
      parsed.reader = options.reader;
    }
    if (options.start !== undefined && options.start !== 'all' && options.start !== 'now') {
      throw new InvalidArgumentError(`FileChannel: start must be 'all' or 'now', not ${String(options.start)}`);
    }
    if (options.start === 'now') parsed.startNow = true;
    const resolved = await makeChannelDir(dir, parsed.allowSharedDirectory);
    const channel = new FileChannel(resolved, side, parsed, options);
    await channel._openAbortable(signal, () => channel.#openFiles());
    return channel;
  }

  constructor(dir, side, parsedOptions, options) {
    super(side, options);
    this.#dir = dir;
    this.#options = parsedOptions;
    this.#lock = new ChannelLockHelper(dir, { allowShared: parsedOptions.allowSharedDirectory });
  }

  get dir() { return this.#dir; }
  get incomingPath() { return path.join(this.#dir, SIDES[this.side].incoming); }
  get outgoingPath() { return path.join(this.#dir, SIDES[this.side].outgoing); }
  // True when reading polls the file's stat instead of watching the directory.
  get polling() { return this.#watcher === null && !this.closed; }

  _describe() { return `'${this.#dir}'`; }

  // Every write removes dead writers' temp files, not only the first: a
  // long-lived writer also cleans up after writers killed mid-write.
  async _append(texts, timeoutMs) {
    await appendToChannelFile(
      this.#lock, this.#dir, SIDES[this.side].outgoing, texts, this.#options, timeoutMs, true, this.#writer);
    this.#checkDirectory();
  }

  // Empties both channel files, as ipckit 0.1's clear() does, under the
  // locks a send takes (timeoutMs bounds the wait, default sendTimeoutMs).
  // Messages no reader has taken yet are gone; what arrives after is new.
  async clear(options = {}) {
    if (this.closed) throw new ClosedError(`FileChannel ${this._describe()} is closed`);
    const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs', this._sendTimeoutMs);
    await emptyChannelFiles(this.#lock, this.#dir, this.#options, timeoutMs);
    this.#writer.dispose();
    this.#writer = new ChannelFileWriter();
    this.#claimIndex.dispose();
    this.#claimIndex = new ClaimIndex();
    // A named reader keeps its cursor: pos goes on from the cursors.
    if (!this.#reader) this._resetInbox();
  }

  // Whether a backend has the channel open now (spec/file_channel.md,
  // "Backend liveness": it holds flock on .backend.lock; a crash releases
  // it). The first call starts the liveness watch, as does a listener for
  // 'online' or 'offline': then each change dispatches one of those events
  // (the first result too), and this resolves with the latest state.
  async backendOnline() {
    if (this.closed) throw new ClosedError(`FileChannel ${this._describe()} is closed`);
    return this.#watchLiveness().first;
  }

  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if ((type === 'online' || type === 'offline') && !this.closed) {
      this.#watchLiveness().first.catch(() => {});  // reported through 'error' by the loop
    }
  }

  #watchLiveness() {
    if (this.#liveness) {
      const w = this.#liveness;
      if (w.online !== null) w.first = Promise.resolve(w.online);
      return w;
    }
    const w = {
      helper: new ChannelLockHelper(this.#dir, { allowShared: this.#options.allowSharedDirectory, file: BACKEND_LOCK_FILE }),
      online: null, dirty: false, wake: null, first: null, resolveFirst: null,
    };
    w.first = new Promise((resolve, reject) => { w.resolveFirst = { resolve, reject }; });
    this.#liveness = w;
    this.#livenessLoop(w).catch((err) => {
      if (w.online === null) w.resolveFirst.reject(err);
      if (!this.closed) this._report(err);
    });
    return w;
  }

  // Probe; while held, wait in the kernel for the release; while free, wait
  // for a change to .backend.lock (a starting backend writes its pid there).
  // A change seen during a probe makes the loop probe again, so a backend
  // that starts just after a probe is not missed.
  async #livenessLoop(w) {
    const set = (online) => {
      if (w.online === null) w.resolveFirst.resolve(online);
      if (w.online === online) return;
      w.online = online;
      this.dispatchEvent(new FileChannelEvent(online ? 'online' : 'offline'));
    };
    while (!this.closed) {
      w.dirty = false;
      const held = await w.helper.probe();
      if (this.closed) return;
      set(held);
      if (held) {
        await w.helper.waitReleased();
        if (this.closed) return;
        set(false);
        continue;
      }
      if (!w.dirty) await new Promise((resolve) => { w.wake = resolve; });
      w.wake = null;
    }
  }

  #livenessChanged() {
    const w = this.#liveness;
    if (!w) return;
    w.dirty = true;
    if (w.wake) w.wake();
  }

  // A backend takes .backend.lock for as long as it is open, unless another
  // backend holds it, and writes its pid there so frontends see the change.
  async #takeLivenessLock() {
    const helper = new ChannelLockHelper(this.#dir, { allowShared: this.#options.allowSharedDirectory, file: BACKEND_LOCK_FILE });
    try {
      await helper.acquire(0);
    } catch (err) {
      helper.close();
      if (err instanceof TimeoutError) return;  // another backend stands for us
      throw err;
    }
    this.#livenessLock = helper;
    const fd = openOwnedRegularFile(path.join(this.#dir, BACKEND_LOCK_FILE), fsConstants.O_WRONLY | fsConstants.O_TRUNC,
      0, this.#options.allowSharedDirectory);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  }

  _shutdown() {
    if (this.#startTimer) clearImmediate(this.#startTimer);
    this.#stopWatching();
    this.#lock.close();
    if (this.#livenessLock) this.#livenessLock.close();
    if (this.#reader) this.#reader.close();
    if (this.#liveness) {
      this.#liveness.helper.close();
      if (this.#liveness.wake) this.#liveness.wake();
    }
    this.#writer.dispose();
    this.#claimIndex.dispose();
  }

  async #openFiles() {
    await ensureChannelInfo(this.#dir, this.#lock, this.#options.openTimeoutMs, this.#options.fsync,
      this.#options.allowSharedDirectory, true);
    if (this.closed) throw new ClosedError(`FileChannel ${this._describe()} was closed while opening`);
    if (this.side === 'backend') await this.#takeLivenessLock();
    if (this.#options.reader !== null) await this.#openNamedReader();
    else if (this.#options.startNow) {
      const snap = readChannelFile(this.incomingPath, this.#options.maxFileBytes, this.#options.allowSharedDirectory);
      this._skipAll(snap.bytes, this.incomingPath);
    }
    this.#startWatching();
    // Deliver what is already there after the caller has had its turn to
    // register handlers (the await of open() resolves first).
    this.#startTimer = setImmediate(() => {
      this.#startTimer = null;
      this.#scheduleRead();
    });
  }

  // Opens the named reader: resumes from its cursor, or (a new reader, rule
  // R4) starts just before the file's first message, or at its end with
  // start: 'now', and writes the cursor before open() returns, so writers
  // keep what arrives from then on.
  async #openNamedReader() {
    const { incoming } = SIDES[this.side];
    this.#reader = await NamedReader.open(this.#dir, incoming, this.#options.reader, this.#options);
    if (this.closed) throw new ClosedError(`FileChannel ${this._describe()} was closed while opening`);
    const resumed = this.#reader.cursor;
    this.#inbox = new NamedInbox(resumed || { pos: 0, ids: [] });
    this._useInbox(this.#inbox);
    if (resumed) return;
    await this.#lock.withLock(this.#options.openTimeoutMs, async () => {
      const floor = Math.max(0, ...await readerPositions(this.#lock, this.#dir, incoming, this.#options));
      const snap = readChannelFile(this.incomingPath, this.#options.maxFileBytes, this.#options.allowSharedDirectory);
      if (this.#options.startNow) this.#inbox.skipAll(snap.bytes, this.incomingPath);
      else this.#inbox.startBefore(snap.bytes, this.incomingPath, floor);
      this.#reader.write(this.#inbox.cursor(), true);
    });
  }

  #stopWatching() {
    if (this.#watcher) this.#watcher.close();
    if (this.#dirCheckTimer) clearInterval(this.#dirCheckTimer);
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#watcher = null;
    this.#watchedDir = null;
    this.#dirCheckTimer = null;
    this.#pollTimer = null;
  }

  // "<dev>:<ino>" of the channel directory now, or null if it is missing.
  #directoryIdentity() {
    try {
      const st = statSync(this.#dir, { bigint: true });
      return `${st.dev}:${st.ino}`;
    } catch {
      return null;
    }
  }

  // Re-arms the watch if the directory was replaced since it was armed
  // (deleted and recreated), after checking the new one as open() does, and
  // reads what the new directory holds. A missing directory changes nothing:
  // sends fail, and waits time out, until one is there again.
  #checkDirectory() {
    if (this.closed || this.#watchedDir === null) return;
    const now = this.#directoryIdentity();
    if (now === null || now === this.#watchedDir || now === this.#refusedDir) return;
    try {
      checkChannelDirectory(this.#dir, this.#options.allowSharedDirectory);
    } catch (err) {
      this.#refusedDir = now;
      this._report(err);
      return;
    }
    this.#stopWatching();
    this.#startWatching();
    this.#scheduleRead();
  }

  #startWatching() {
    if (!this.#options.forcePolling) {
      try {
        const incoming = SIDES[this.side].incoming;
        const identity = this.#directoryIdentity();
        this.#watcher = fsWatch(this.#dir, { persistent: true }, (event, filename) => {
          // Writers rename a temp file over the target: the target's name is
          // reported. Temp files and .lock come and go too; skip those.
          if (filename === null || filename === undefined || String(filename) === incoming) this.#scheduleRead();
          if (filename === null || filename === undefined || String(filename) === BACKEND_LOCK_FILE) this.#livenessChanged();
        });
        this.#watchedDir = identity;
        this.#dirCheckTimer = setInterval(() => this.#checkDirectory(), DIRECTORY_CHECK_MS);
        this.#dirCheckTimer.unref();
        this.#watcher.on('error', (err) => {
          // E.g. the directory was deleted or renamed: poll from now on.
          this._report(fromSystemError(err, `FileChannel: watching '${this.#dir}' failed; polling instead`));
          this.#stopWatching();
          if (!this.closed) this.#startPolling();
        });
        return;
      } catch (err) {
        this._report(fromSystemError(err, `FileChannel: cannot watch '${this.#dir}'; polling instead`));
      }
    }
    this.#startPolling();
  }

  // The spec's fallback: poll the incoming file's stat (device, inode, size,
  // mtime, ctime), sleeping from 1 ms doubling to 20 ms while nothing changes.
  #startPolling() {
    let last = null;
    let lastLiveness = null;
    let delayMs = 1;
    const tick = async () => {
      this.#pollTimer = null;
      if (this.closed) return;
      let signature;
      try {
        const st = await fsp.stat(this.incomingPath, { bigint: true });
        signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      } catch {
        signature = 'missing';
      }
      try {
        const st = await fsp.stat(path.join(this.#dir, BACKEND_LOCK_FILE), { bigint: true });
        const liveness = `${st.ino}:${st.size}:${st.mtimeNs}`;
        if (liveness !== lastLiveness) this.#livenessChanged();
        lastLiveness = liveness;
      } catch {
        // No backend has opened the channel yet.
      }
      if (signature !== last) {
        last = signature;
        delayMs = 1;
        this.#scheduleRead();
      } else {
        delayMs = Math.min(delayMs * 2, 20);
      }
      if (!this.closed) this.#pollTimer = setTimeout(tick, delayMs);
    };
    this.#pollTimer = setTimeout(tick, 0);
  }

  // Coalesces wake-ups: one read at a time, and one more if woken meanwhile.
  #scheduleRead() {
    if (this.closed) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    (async () => {
      try {
        do {
          this.#readAgain = false;
          await this.#readOnce();
        } while (this.#readAgain && !this.closed);
      } finally {
        this.#reading = false;
      }
    })();
  }

  async #readOnce() {
    this.#checkDirectory();
    const file = this.incomingPath;
    let snap;
    try {
      snap = readChannelFile(file, this.#options.maxFileBytes, this.#options.allowSharedDirectory);
    } catch (err) {
      this._report(err);
      return;
    }
    if (this._deliver(snap.bytes, file)) this.#writeCursor();
  }

  // Rule R6: a named reader's cursor after the application has the
  // messages, but below any request still parked or being handled.
  #writeCursor() {
    if (!this.#reader || this.closed) return;
    const cursor = this.#inbox.cursor();
    const floor = this._cursorFloor();
    if (floor !== Infinity && floor - 1 < cursor.pos) cursor.pos = Math.max(this.#reader.cursor.pos, floor - 1);
    try {
      this.#reader.write(cursor);
    } catch (err) {
      this._report(err);
    }
  }

  _settled() {
    this.#writeCursor();
  }

  // Rule C1: under .lock, claim request `m` unless it is answered or a live
  // claimant has it (with `write` false: only tell whether it would be).
  async _claim(m, write = true) {
    const { incoming, outgoing } = SIDES[this.side];
    const me = { reader: this.#options.reader || '', pid: process.pid };
    return this.#lock.withLock(this._sendTimeoutMs,
      () => claimUnderLock(this.#lock, this.#dir, incoming, outgoing, m.id, me, this.#options, write,
        this.#claimIndex));
  }

  _mayClaim(m) {
    return this._claim(m, false);
  }
}
