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
import { randomBytes } from 'node:crypto';
import {
  closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readSync, readdirSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, TooLargeError, fromSystemError } from '../errors.js';
import { BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, FRONTEND_TO_BACKEND_FILE } from '../file_channel_format.js';

const EMPTY = new Uint8Array(0);

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
export function readChannelFile(file, maxBytes) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return { bytes: EMPTY, exists: false, mode: 0, version: 'missing' };
    throw fromSystemError(err, `open '${file}'`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new InvalidArgumentError(`'${file}' is not a regular file`);
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
// ".<name>.tmp-<pid>-<hex>" (exclusive create), permissions `mode` (0: the
// default), optional fsync, rename over the target. Call with the lock held.
export function replaceFileAtomically(dir, name, bytes, mode, fsync) {
  const target = path.join(dir, name);
  const temp = path.join(dir, `${tempPrefix(name)}${process.pid}-${randomBytes(4).toString('hex')}`);
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let fd;
  try {
    fd = openSync(temp, 'wx', 0o666);
  } catch (err) {
    throw fromSystemError(err, `create temp file '${temp}'`);
  }
  try {
    try {
      writeAllSync(fd, data);
      if (mode) fchmodSync(fd, mode);  // keep the replaced file's permissions
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

// Deletes temp files that writers which died mid-write left behind. Only
// safe with the lock held (then no live writer has one). Best effort.
export function removeStaleTempFiles(dir) {
  const prefixes = [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE, CHANNEL_INFO_FILE].map(tempPrefix);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!prefixes.some((p) => n.startsWith(p))) continue;
    try { unlinkSync(path.join(dir, n)); } catch { /* best effort */ }
  }
}
