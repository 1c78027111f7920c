// ipckit 0.1's lock on one channel file, taken by Node writers inside the
// .lock flock (spec/file_channel.md, write protocol step 3), as the C++ core's
// Ipckit01FileLock does. It is the one lock every writer of a file has in
// common: ipckit 0.1 knows no other.
//
//   const held = await Ipckit01FileLock.acquire(dir, 'frontend_to_backend.json', Date.now() + 5000);
//   try { /* read, append, temp file, rename */ } finally { held.release(); }
//   // Ipckit01FileLock.pathFor(dir, 'frontend_to_backend.json') === `${dir}/frontend_to_backend.lock`
//
// The lock is "<stem>.lock" created with O_CREAT|O_EXCL holding "<pid>\n".
// One that exists is stale, and removed, when its pid is not a live process
// or its mtime is more than 5 s old (0.1's rule). Release deletes the file only
// if it is still the one we created (same device and inode). The file
// operations are synchronous, as in channel_files.js; only the backoff
// between tries waits on a timer. The rules are the C++ core's
// (Ipckit01FileLock in cc/file_channel/channel_file.cc); this is their mirror
// for Node, which cannot reach the core's file code through WASM. A lock that
// no wait can end is PermissionDeniedError at once: a directory, symlink or
// FIFO under the lock's name, or a stale lock we may not remove (another
// user's, in a sticky directory). Waiting never spins: the backoff grows to
// 50 ms, and every wait ends by the deadline.
import {
  closeSync, constants as fsConstants, fstatSync, lstatSync, readSync, unlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, PermissionDeniedError, TimeoutError, fromSystemError } from '../errors.js';
import { IPCKIT01_LOCK_FILES } from '../file_channel_format.js';
import { PRIVATE_FILE_MODE, SHARED_FILE_MODE, isLive, openOwnedRegularFile } from './channel_files.js';

export const IPCKIT01_LOCK_STALE_AFTER_MS = 5000;

// Backoff between looks at a live lock: 1 ms doubling to 50 ms (a holder's
// release or death sends no event Node can wait on portably).
const FIRST_BACKOFF_MS = 1;
const MAX_BACKOFF_MS = 50;
const MAX_PID = 2 ** 31 - 1;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameFile(a, b) {
  return a.dev === b.dev && a.ino === b.ino;
}

function statOrNull(file) {
  try {
    return lstatSync(file, { bigint: true });
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw fromSystemError(err, `stat lock file '${file}'`);
  }
}

// Whether the lock file `file` (now `st`) was left by a dead writer: older
// than 0.1's limit, or naming a pid that is not a live process.
function isStale(file, st, allowShared) {
  const ageMs = Date.now() - Number(st.mtimeMs);
  if (ageMs > IPCKIT01_LOCK_STALE_AFTER_MS) return true;
  let text;
  try {
    const fd = openOwnedRegularFile(file, fsConstants.O_RDONLY, PRIVATE_FILE_MODE, allowShared);
    try {
      const buf = Buffer.alloc(32);
      text = buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;  // released meanwhile, or not ours to read: only the age rule applies
  }
  const trimmed = text.trim();
  // Empty (its writer is between create and write) or not a pid: only the
  // age rule applies.
  if (!/^\d{1,10}$/.test(trimmed)) return false;
  const pid = Number(trimmed);
  if (pid <= 0 || pid > MAX_PID) return false;
  return !isLive(pid);
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

  // The lock file of the channel file `fileName` in `dir`, by the core's name
  // (frontend_to_backend.json -> <dir>/frontend_to_backend.lock).
  static pathFor(dir, fileName) {
    const name = IPCKIT01_LOCK_FILES[fileName];
    if (name === undefined) throw new InvalidArgumentError(`'${fileName}' is not a channel file`);
    return path.join(dir, name);
  }

  // Takes the lock for <dir>/<fileName>, waiting until `deadlineMs` (a
  // Date.now() value, or Infinity); TimeoutError after it. Stale locks are
  // removed and the create retried at once. `allowShared`: the directory is
  // shared on purpose (other users' lock files are read, ours are 0660).
  static async acquire(dir, fileName, deadlineMs = Infinity, allowShared = false) {
    const file = Ipckit01FileLock.pathFor(dir, fileName);
    const { O_CREAT, O_EXCL, O_WRONLY } = fsConstants;
    let backoffMs = FIRST_BACKOFF_MS;
    for (;;) {
      let fd = null;
      try {
        fd = openOwnedRegularFile(file, O_WRONLY | O_CREAT | O_EXCL, allowShared ? SHARED_FILE_MODE : PRIVATE_FILE_MODE,
          allowShared);
      } catch (err) {
        // A directory, symlink or FIFO under the name: no lock, refused.
        if (err.errorClass !== 'in_use') throw err;
      }
      if (fd !== null) return Ipckit01FileLock.#finishCreate(file, fd);

      const st = statOrNull(file);
      if (st === null) continue;  // released meanwhile: try again
      if (isStale(file, st, allowShared)) {
        // Remove it only if it is still the file judged stale.
        const again = statOrNull(file);
        if (again !== null && sameFile(again, st)) {
          try {
            unlinkSync(file);
          } catch (err) {
            if (err.code !== 'ENOENT') {
              // No wait could end this one.
              throw new PermissionDeniedError(
                `stale lock file '${file}' (ipckit 0.1's, owner uid ${st.uid}) cannot be removed: ${err.message}`,
                { cause: err });
            }
          }
        }
        continue;
      }
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) {
        throw new TimeoutError(`lock file '${file}' (ipckit 0.1's) is held past the timeout`);
      }
      // Look again when it turns stale by age, if that comes first.
      const untilStaleMs = Number(st.mtimeMs) + IPCKIT01_LOCK_STALE_AFTER_MS + 1000 - Date.now();
      await sleep(Math.max(1, Math.min(backoffMs, remainingMs, untilStaleMs)));
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
