// File operations of the FileChannel protocol in Node, mirroring
// cc/file_channel/channel_file.cc: bounded reads, atomic replace through a
// temp file in the same directory, and removal of dead writers' temp files.
//
//   const snap = await readChannelFile(path, maxBytes);   // {bytes, exists, mode}
//   await replaceFileAtomically(dir, name, bytes, snap.exists ? snap.mode : 0, false);
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, TooLargeError, fromSystemError } from '../errors.js';
import { BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, FRONTEND_TO_BACKEND_FILE } from '../file_channel_format.js';

const EMPTY = new Uint8Array(0);

// The temp file prefix of writes to `name`: ".<name>.tmp-".
export function tempPrefix(name) {
  return `.${name}.tmp-`;
}

// Reads `file` whole: {bytes, exists, mode}. A missing file is exists=false
// with no bytes. TooLargeError past `maxBytes` (checked before reading, and
// again while reading in case a foreign writer appends in place).
export async function readChannelFile(file, maxBytes) {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return { bytes: EMPTY, exists: false, mode: 0 };
    throw fromSystemError(err, `open '${file}'`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidArgumentError(`'${file}' is not a regular file`);
    if (st.size > maxBytes) throw new TooLargeError(`'${file}' is ${st.size} bytes, over the limit ${maxBytes}`);
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, st.size + 1));
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
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > maxBytes) throw new TooLargeError(`'${file}' grew past the limit ${maxBytes} bytes while being read`);
    return { bytes: buf.subarray(0, got), exists: true, mode: st.mode & 0o7777 };
  } catch (err) {
    throw fromSystemError(err, `read '${file}'`);
  } finally {
    await fh.close();
  }
}

// Writes `bytes` as <dir>/<name> atomically: temp file
// ".<name>.tmp-<pid>-<hex>" (exclusive create), permissions `mode` (0: the
// default), optional fsync, rename over the target. Call with the lock held.
export async function replaceFileAtomically(dir, name, bytes, mode, fsync) {
  const target = path.join(dir, name);
  const temp = path.join(dir, `${tempPrefix(name)}${process.pid}-${randomBytes(4).toString('hex')}`);
  let fh;
  try {
    fh = await fsp.open(temp, 'wx', 0o666);
  } catch (err) {
    throw fromSystemError(err, `create temp file '${temp}'`);
  }
  try {
    try {
      await fh.writeFile(bytes);
      if (mode) await fh.chmod(mode);  // keep the replaced file's permissions
      if (fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(temp, target);
  } catch (err) {
    await fsp.unlink(temp).catch(() => {});
    throw fromSystemError(err, `replace '${target}'`);
  }
  if (fsync) {
    // Persist the rename itself.
    let dh;
    try {
      dh = await fsp.open(dir, 'r');
      await dh.sync();
    } catch (err) {
      throw fromSystemError(err, `fsync directory '${dir}'`);
    } finally {
      if (dh) await dh.close();
    }
  }
}

// Deletes temp files that writers which died mid-write left behind. Only
// safe with the lock held (then no live writer has one). Best effort.
export async function removeStaleTempFiles(dir) {
  const prefixes = [BACKEND_TO_FRONTEND_FILE, FRONTEND_TO_BACKEND_FILE, CHANNEL_INFO_FILE].map(tempPrefix);
  let names;
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names
    .filter((n) => prefixes.some((p) => n.startsWith(p)))
    .map((n) => fsp.unlink(path.join(dir, n)).catch(() => {})));
}
