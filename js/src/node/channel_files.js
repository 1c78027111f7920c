// File operations of the FileChannel protocol in Node, mirroring
// cc/file_channel/channel_file.cc: bounded reads, atomic replace through a
// temp file in the same directory, and removal of dead writers' temp files.
//
//   const snap = readChannelFile(path, maxBytes);   // {bytes, exists, mode}
//   replaceFileAtomically(dir, name, bytes, snap.exists ? snap.mode : 0, false);
//
// They are synchronous on purpose: each is a few system calls on a small local
// file (bounded by maxFileBytes), run while the channel locks are held. The
// promise API would send every step through libuv's thread pool and back,
// which measured about 60 us a step, more than the work itself, and would keep
// the locks held (blocking the other side's writers) across event-loop turns.
//
// The file rules of a channel directory (spec/file_channel.md, "Files in a
// channel directory") are the core's cc/platform/fs/owned_file.h, mirrored
// here for Node: openOwnedRegularFile, checkChannelDirectory,
// makePrivateDirs.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants as fsConstants, fchmodSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync,
  readdirSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, PermissionDeniedError, TooLargeError, fromSystemError } from '../errors.js';
import { BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, FRONTEND_TO_BACKEND_FILE } from '../file_channel_format.js';

const EMPTY = new Uint8Array(0);
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC } = fsConstants;

export const PRIVATE_FILE_MODE = 0o600;
// In a shared directory (opted in), new files are the group's too.
export const SHARED_FILE_MODE = 0o660;
const MAX_PID = 2 ** 31 - 1;

function euid() {
  return typeof process.geteuid === 'function' ? process.geteuid() : null;
}

function kindOf(st) {
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function refused(file, what) {
  return new PermissionDeniedError(`'${file}' ${what}: refused`);
}

// Opens `file` with numeric `flags` as the core's OpenOwnedRegularFile does:
// O_NOFOLLOW and O_NONBLOCK (a FIFO never blocks), then refuses anything but
// a regular file of this user (PermissionDeniedError; another user's file is
// accepted with `allowOtherOwner`). A file this call creates gets exactly
// `createMode`; O_TRUNC applies only after the checks. Returns the fd (reads
// of a regular file ignore O_NONBLOCK).
export function openOwnedRegularFile(file, flags, createMode = PRIVATE_FILE_MODE, allowOtherOwner = false) {
  const base = (flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK;
  let fd;
  let created = false;
  const explain = (err) => {
    if (err.code !== 'ENOENT') {
      let st = null;
      try { st = lstatSync(file); } catch { /* gone */ }
      if (st && !st.isFile()) return refused(file, `is ${kindOf(st)}`);
    }
    return fromSystemError(err, `open '${file}'`);
  };
  try {
    if ((flags & O_CREAT) && !(flags & O_EXCL)) {
      try {
        fd = openSync(file, base | O_EXCL, createMode);
        created = true;
      } catch (err) {
        if (err.code !== 'EEXIST') throw err;
        fd = openSync(file, base & ~O_CREAT);
      }
    } else {
      fd = openSync(file, base, createMode);
      created = Boolean(flags & O_CREAT);
    }
  } catch (err) {
    throw explain(err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(file, `is ${kindOf(st)}`);
    const me = euid();
    if (!allowOtherOwner && me !== null && st.uid !== me) {
      throw refused(file, `is owned by uid ${st.uid}, not by this user (uid ${me})`);
    }
    if (created && (st.mode & 0o7777) !== createMode) fchmodSync(fd, createMode);
    if (flags & O_TRUNC) ftruncateSync(fd, 0);  // through the fd we checked, not the path
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err instanceof PermissionDeniedError ? err : fromSystemError(err, `open '${file}'`);
  }
}

// Checks an existing channel directory: InvalidArgumentError if it is not a
// directory; unless `allowShared`, PermissionDeniedError if another user owns
// it or group or others may write to it.
export function checkChannelDirectory(dir, allowShared) {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw fromSystemError(err, `stat '${dir}'`);
  }
  if (!st.isDirectory()) throw new InvalidArgumentError(`'${dir}' is not a directory`);
  if (allowShared) return;
  const me = euid();
  const hint = 'pass allowSharedDirectory to use a shared channel directory';
  if (me !== null && st.uid !== me) {
    throw refused(dir, `is owned by uid ${st.uid}, not by this user (uid ${me}); ${hint}`);
  }
  if (st.mode & 0o022) {
    const who = (st.mode & 0o002) ? 'others' : 'its group';
    throw refused(dir, `is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); ${hint}`);
  }
}

// mkdir -p with each new directory 0700 whatever the umask. Existing ones are
// left as they are. InvalidArgumentError if a component is not a directory.
export function makePrivateDirs(dir) {
  const parts = path.resolve(dir).split(path.sep);
  let prefix = '';
  for (let i = 1; i < parts.length; i++) {
    prefix = `${prefix}${path.sep}${parts[i]}`;
    try {
      mkdirSync(prefix, 0o700);
    } catch (err) {
      if (err.code === 'EEXIST') continue;
      if (err.code === 'ENOTDIR') {
        throw new InvalidArgumentError(`a component of '${dir}' is not a directory`, { cause: err });
      }
      throw fromSystemError(err, `create directory '${prefix}'`);
    }
    // The umask may have taken bits from 0700: set it exactly, through a
    // descriptor of the directory we made.
    let dfd;
    try {
      dfd = openSync(prefix, O_RDONLY | fsConstants.O_DIRECTORY | O_NOFOLLOW);
      fchmodSync(dfd, 0o700);
    } catch (err) {
      throw fromSystemError(err, `set mode 0700 on '${prefix}'`);
    } finally {
      if (dfd !== undefined) closeSync(dfd);
    }
  }
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw fromSystemError(err, `stat '${dir}'`);
  }
  if (!st.isDirectory()) throw new InvalidArgumentError(`'${dir}' exists and is not a directory`);
}

// The temp file prefix of writes to `name`: ".<name>.tmp-".
export function tempPrefix(name) {
  return `.${name}.tmp-`;
}

// Reads `file` whole: {bytes, exists, mode, version}. A missing file is
// exists=false with no bytes. `version` names the content read: the opened
// file's inode, size and mtime (ns) as "<ino>-<size>-<mtimeNs>" (writers
// replace files by rename, so a version is never rewritten in place by
// ipckit writers). TooLargeError past `maxBytes` (checked before reading,
// and again while reading in case a foreign writer appends in place).
// PermissionDeniedError, without reading or blocking, for anything but a
// regular file of this user (another user's with `allowOtherOwner`).
export function readChannelFile(file, maxBytes, allowOtherOwner = false) {
  let fd;
  try {
    fd = openOwnedRegularFile(file, O_RDONLY, PRIVATE_FILE_MODE, allowOtherOwner);
  } catch (err) {
    if (err.errorClass === 'not_found') return { bytes: EMPTY, exists: false, mode: 0, version: 'missing' };
    throw err;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    if (size > maxBytes) throw new TooLargeError(`'${file}' is ${size} bytes, over the limit ${maxBytes}`);
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, size + 1));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (buf.length > maxBytes) {
          throw new TooLargeError(`'${file}' grew past the limit ${maxBytes} bytes while being read`);
        }
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2 + 4096));
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const bytesRead = readSync(fd, buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > maxBytes) throw new TooLargeError(`'${file}' grew past the limit ${maxBytes} bytes while being read`);
    return {
      bytes: buf.subarray(0, got),
      exists: true,
      mode: Number(st.mode) & 0o7777,
      version: `${st.ino}-${st.size}-${st.mtimeNs}`,
    };
  } catch (err) {
    throw fromSystemError(err, `read '${file}'`);
  } finally {
    closeSync(fd);
  }
}

// Writes all of `bytes` to `fd`.
function writeAllSync(fd, bytes) {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

// Writes `bytes` as <dir>/<name> atomically: temp file
// ".<name>.tmp-<pid>-<hex>" (exclusive create), optional fsync, rename over
// the target. The temp file is created with `mode` (0: 0600, or 0660 when
// `allowShared`), limited to 0600 unless `allowShared`, whatever the umask.
// Call with the lock held.
export function replaceFileAtomically(dir, name, bytes, mode, fsync, allowShared = false) {
  const target = path.join(dir, name);
  const temp = path.join(dir, `${tempPrefix(name)}${process.pid}-${randomBytes(4).toString('hex')}`);
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let finalMode = mode || (allowShared ? SHARED_FILE_MODE : PRIVATE_FILE_MODE);
  if (!allowShared) finalMode &= PRIVATE_FILE_MODE;
  const fd = openOwnedRegularFile(temp, fsConstants.O_WRONLY | O_CREAT | O_EXCL, finalMode, allowShared);
  try {
    try {
      writeAllSync(fd, data);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* already gone */ }
    throw fromSystemError(err, `replace '${target}'`);
  }
  if (fsync) {
    // Persist the rename itself.
    let dirFd;
    try {
      dirFd = openSync(dir, 'r');
      fsyncSync(dirFd);
    } catch (err) {
      throw fromSystemError(err, `fsync directory '${dir}'`);
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  }
}

// Deletes temp files that writers which died mid-write left behind: ours
// (regular files of this user, named by replaceFileAtomically) whose writer
// pid is no live process (or this one: the caller holds the lock, so it
// writes none now). Call with the lock held. Best effort.
export function removeStaleTempFiles(dir) {
  const prefixes = [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE, CHANNEL_INFO_FILE].map(tempPrefix);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const prefix = prefixes.find((p) => n.startsWith(p));
    if (prefix === undefined) continue;
    const m = /^(\d{1,10})-/.exec(n.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid <= 0 || pid > MAX_PID || (pid !== process.pid && isLive(pid))) continue;
    const file = path.join(dir, n);
    try {
      const st = lstatSync(file);
      if (st.isFile() && (euid() === null || st.uid === euid())) unlinkSync(file);
    } catch { /* best effort: a leftover only wastes space */ }
  }
}

// Whether `pid` names a live process (EPERM: alive, another user's).
export function isLive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code !== 'ESRCH';
  }
}
