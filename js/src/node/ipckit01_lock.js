// ipckit 0.1's lock on one channel file, taken by Node writers inside the
// .lock flock (spec/file_channel.md, write protocol step 3), as the C++ core's
// Ipckit01FileLock does. It is the one lock every writer of a file has in
// common: ipckit 0.1 knows no other.
//
//   const held = await Ipckit01FileLock.acquire(dir, 'frontend_to_backend.json', Date.now() + 5000);
//   try { /* read, append, temp file, rename */ } finally { held.release(); }
//   // Ipckit01FileLock.pathFor(dir, 'x.json') === `${dir}/x.lock`
//
// The lock is "<stem>.lock" created with O_CREAT|O_EXCL holding "<pid>\n".
// One that exists is stale, and removed, when its pid is not a live process
// or its mtime is more than 5 s old (0.1's rule). Release deletes the file only
// if it is still the one we created (same device and inode). The file
// operations are synchronous, as in channel_files.js; only the backoff
// between tries waits on a timer.
import {
  closeSync, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { TimeoutError, fromSystemError } from '../errors.js';

export const IPCKIT01_LOCK_STALE_AFTER_MS = 5000;

// The spec's backoff: 50 us doubling to 2 ms. Node timers have 1 ms
// resolution, so the first waits round up to 1 ms.
const FIRST_BACKOFF_MS = 0.05;
const MAX_BACKOFF_MS = 2;
const MAX_PID = 2 ** 31 - 1;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameFile(a, b) {
  return a.dev === b.dev && a.ino === b.ino;
}

function statOrNull(file) {
  try {
    return statSync(file, { bigint: true });
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw fromSystemError(err, `stat lock file '${file}'`);
  }
}

// Whether the pid named in the lock file `file` (now `st`) is gone, or the
// file is older than 0.1's limit.
function isStale(file, st) {
  const ageMs = Date.now() - Number(st.mtimeMs);
  if (ageMs > IPCKIT01_LOCK_STALE_AFTER_MS) return true;
  let text;
  try {
    text = readFileSync(file, { encoding: 'latin1' });
  } catch {
    return false;  // released meanwhile: the caller retries
  }
  const trimmed = text.trim();
  // Empty (its writer is between create and write) or not a pid: only the
  // age rule applies.
  if (!/^\d{1,10}$/.test(trimmed)) return false;
  const pid = Number(trimmed);
  if (pid <= 0 || pid > MAX_PID) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';  // EPERM: alive, someone else's
  }
}

export class Ipckit01FileLock {
  #path;
  #dev;
  #ino;

  constructor(file, dev, ino) {
    this.#path = file;
    this.#dev = dev;
    this.#ino = ino;
  }

  get path() { return this.#path; }
  get held() { return this.#path !== null; }

  // "<dir>/<stem>.lock" for the channel file `fileName` ("x.json" -> "x.lock").
  static pathFor(dir, fileName) {
    const stem = fileName.endsWith('.json') ? fileName.slice(0, -'.json'.length) : fileName;
    return path.join(dir, `${stem}.lock`);
  }

  // Takes the lock for <dir>/<fileName>, waiting until `deadlineMs` (a
  // Date.now() value, or Infinity) with the spec's backoff; TimeoutError
  // after it. Stale locks are removed and the create retried at once.
  static async acquire(dir, fileName, deadlineMs = Infinity) {
    const file = Ipckit01FileLock.pathFor(dir, fileName);
    let backoffMs = FIRST_BACKOFF_MS;
    for (;;) {
      let fd = null;
      try {
        fd = openSync(file, 'wx', 0o644);
      } catch (err) {
        if (err.code !== 'EEXIST') throw fromSystemError(err, `create lock file '${file}'`);
      }
      if (fd !== null) return Ipckit01FileLock.#finishCreate(file, fd);

      const st = statOrNull(file);
      if (st === null) continue;  // released meanwhile: try again
      if (isStale(file, st)) {
        // Remove it only if it is still the file judged stale.
        const again = statOrNull(file);
        if (again !== null && sameFile(again, st)) {
          try { unlinkSync(file); } catch { /* someone else removed it */ }
        }
        continue;
      }
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) {
        throw new TimeoutError(`lock file '${file}' (ipckit 0.1's) is held past the timeout`);
      }
      await sleep(Math.min(backoffMs, remainingMs));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  static #finishCreate(file, fd) {
    let st;
    try {
      const text = Buffer.from(`${process.pid}\n`);
      let off = 0;
      while (off < text.length) off += writeSync(fd, text, off, text.length - off);
      st = fstatSync(fd, { bigint: true });
    } catch (err) {
      closeSync(fd);
      try { unlinkSync(file); } catch { /* already gone */ }
      throw fromSystemError(err, `write lock file '${file}'`);
    }
    closeSync(fd);
    return new Ipckit01FileLock(file, st.dev, st.ino);
  }

  // Deletes the lock file if it is still ours (a writer that judged it stale
  // may have replaced it). Best effort, like the core's destructor.
  release() {
    const file = this.#path;
    if (file === null) return;
    this.#path = null;
    let st = null;
    try { st = statOrNull(file); } catch { /* treat as gone */ }
    if (st !== null && st.dev === this.#dev && st.ino === this.#ino) {
      try { unlinkSync(file); } catch { /* already gone */ }
    }
  }
}
