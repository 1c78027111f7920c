// Format 2's reader files from Node (spec/file_channel.md, "Format 2"): a
// named reader's lock and cursor, the claim a reader takes before it runs a
// request's handler, and the cursor positions a writer prunes by. The rules
// themselves (file formats, the claim decision, what is new, what to prune)
// are the WASM core's (file_channel_format.js); this file does the I/O.
//
//   const reader = await NamedReader.open(dir, 'backend_to_frontend.json', 'main', options);
//   const inbox = new NamedInbox(reader.cursor);   // resumes where the last instance stopped
//   ... take messages, then reader.write(inbox.cursor());
//   const mine = await claimUnderLock(lock, dir, incoming, outgoing, requestId, me, options, true, claimIndex);
//   const positions = await readerPositions(lock, dir, outgoing, options);  // under the lock
import { readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { InUseError, TimeoutError } from '../errors.js';
import {
  ClaimIndex, composeReaderCursor, cursorExpired, parseReaderCursor, readerFileNames, readerNameOfCursorFile,
  validateReaderName,
} from '../file_channel_format.js';
import { CORE_CONSTANTS as constants } from '../core_constants.js';
import { ChannelLockHelper } from './channel_lock.js';
import { isLive, readChannelFile, replaceFileAtomically } from './channel_files.js';

const MAX_READER_FILE_BYTES = constants.maxReaderFileBytes;

// A named reader of one channel file: holds its lock while open (so a second
// instance under the name is refused, and claimants can tell it runs) and
// writes its cursor.
export class NamedReader {
  #dir;
  #names;
  #lock;
  #options;
  #written = null;  // the {pos, ids} last written, as JSON

  // Takes the reader's lock (InUseError if another instance holds it) and
  // reads its cursor (`cursor` null for a new reader; CorruptError for an
  // invalid file, which is then left for a person to repair or remove).
  static async open(dir, channelFile, name, options) {
    validateReaderName(name);
    const names = readerFileNames(channelFile, name);
    // A name held in this process too is in_use (flock is per open file).
    const lock = new ChannelLockHelper(dir, { allowShared: options.allowSharedDirectory, file: names.lock });
    try {
      await lock.acquire(0);
    } catch (err) {
      lock.close();
      if (err instanceof TimeoutError) {
        throw new InUseError(`FileChannel: reader '${name}' of '${path.join(dir, channelFile)}' is open in another `
          + 'process; each instance (tab, window, process) needs its own reader name');
      }
      throw err;
    }
    try {
      const file = path.join(dir, names.cursor);
      const read = readChannelFile(file, MAX_READER_FILE_BYTES, options.allowSharedDirectory);
      const cursor = read.exists ? parseReaderCursor(read.bytes, file) : null;
      return new NamedReader(dir, names, lock, options, cursor);
    } catch (err) {
      lock.close();
      throw err;
    }
  }

  constructor(dir, names, lock, options, cursor) {
    this.#dir = dir;
    this.#names = names;
    this.#lock = lock;
    this.#options = options;
    this.cursor = cursor && { pos: cursor.pos, ids: cursor.ids };
  }

  // Writes `cursor` ({pos, ids}) by temp file and rename, unless it is what
  // was written last. Without .lock: the reader is its file's only writer.
  write(cursor, force = false) {
    const key = JSON.stringify([cursor.pos, cursor.ids]);
    if (!force && key === this.#written) return;
    const text = composeReaderCursor({ pos: cursor.pos, ids: cursor.ids, updated: Date.now() });
    replaceFileAtomically(this.#dir, this.#names.cursor, text, 0, this.#options.fsync, this.#options.allowSharedDirectory);
    this.#written = key;
    this.cursor = { pos: cursor.pos, ids: cursor.ids };
  }

  close() {
    this.#lock.close();
  }
}

// Whether the claimant `claim` ({reader, pid}) still runs: a named one holds
// its reader lock, an anonymous one's process lives.
async function claimantAlive(lock, dir, requestFile, claim) {
  if (claim.reader === '') return isLive(claim.pid);
  return lock.probeFile(path.join(dir, readerFileNames(requestFile, claim.reader).lock));
}

// Rule C1, with `lock` (the channel's .lock helper) held by the caller:
// claims request `requestId` of `requestFile` for `me` ({reader, pid}) unless
// it is answered in `replyFile` or a live claimant has it. Resolves true if
// this endpoint may run the handler (the claim is then written). With
// `write` false it only says whether the claim would be granted. `index`, a
// ClaimIndex the endpoint keeps for these two files, spares rescanning what
// the last claim scanned (without one, each call scans the files whole).
export async function claimUnderLock(lock, dir, requestFile, replyFile, requestId, me, options, write = true,
  index = null) {
  if (index === null) {
    const once = new ClaimIndex();
    try {
      return await claimUnderLock(lock, dir, requestFile, replyFile, requestId, me, options, write, once);
    } finally {
      once.dispose();
    }
  }
  const shared = options.allowSharedDirectory;
  const claimsName = readerFileNames(requestFile, me.reader || 'x').claims;
  const claimsPath = path.join(dir, claimsName);
  const claimants = index.claimants(readChannelFile(claimsPath, MAX_READER_FILE_BYTES, shared).bytes, requestId,
    claimsPath);
  // Only the claims on this request decide (C1); the others are kept as they are.
  const alive = [];
  for (const c of claimants) alive.push(await claimantAlive(lock, dir, requestFile, c));
  const requestsPath = path.join(dir, requestFile);
  const repliesPath = path.join(dir, replyFile);
  const d = index.decide(requestId, readChannelFile(requestsPath, options.maxFileBytes, shared).bytes,
    readChannelFile(repliesPath, options.maxFileBytes, shared).bytes,
    { reader: me.reader || '', pid: me.pid, at: Date.now() }, alive, { requests: requestsPath, replies: repliesPath });
  if (d.outcome !== 'claimed') return false;
  if (write) replaceFileAtomically(dir, claimsName, d.claims, 0, options.fsync, shared);
  return true;
}

// Rule W2 and W3's input, with `lock` held: the cursor positions of the named
// readers of `channelFile`, after deleting cursors that expired (older than
// the reader TTL, their lock not held). A cursor that cannot be read counts
// as pos 0: it holds acknowledged pruning back, never the count and byte
// bounds.
export async function readerPositions(lock, dir, channelFile, options, nowMs = Date.now()) {
  const positions = [];
  for (const entry of readdirSync(dir)) {
    const name = readerNameOfCursorFile(channelFile, entry);
    if (name === null) continue;
    const file = path.join(dir, entry);
    let cursor;
    try {
      cursor = parseReaderCursor(readChannelFile(file, MAX_READER_FILE_BYTES, options.allowSharedDirectory).bytes, file);
    } catch {
      positions.push(0);
      continue;
    }
    const names = readerFileNames(channelFile, name);
    if (cursorExpired(cursor, nowMs) && !(await lock.probeFile(path.join(dir, names.lock)))) {
      for (const f of [names.cursor, names.lock]) {
        try { unlinkSync(path.join(dir, f)); } catch { /* already gone */ }
      }
      continue;
    }
    positions.push(cursor.pos);
  }
  return positions;
}

// What clear() removes besides the messages: the claims file of
// `channelFile`. Cursors stay, so pos stays monotonic for named readers.
// Call with the locks held.
export function removeClaims(dir, channelFile) {
  try {
    unlinkSync(path.join(dir, readerFileNames(channelFile, 'x').claims));
  } catch {
    // None yet.
  }
}
