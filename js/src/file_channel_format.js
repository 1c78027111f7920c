// The FileChannel format (spec/file_channel.md) through the WASM core: message
// objects, channel files, the append-with-retention step and a reader's
// memory of what it has taken. No I/O: the Node transport
// (node/file_channel.js) and the browser transport build on these.
//
//   const text = composeMessage({ id, timestamp: Date.now(), type: 'event', method: 'ready', payload: {} });
//   const file = composeChannelFile([text]);
//   parseChannelFile(file);  // [{ id, timestamp, type: 'event', method: 'ready', payload: {} }]
//
// A message object has: id, timestamp (ms), type ('request' | 'response' |
// 'event'), method (request method or event name), replyTo (the request a
// response answers), payload (any JSON value), error (error responses),
// seq and sender (format version 1 extensions).
import { core } from './core.js';
import { check, unwrap, InvalidArgumentError } from './errors.js';
import { toBytes, intOption } from './bytes.js';
import { jsonDumps } from './json.js';
import { CORE_CONSTANTS as constants } from './core_constants.js';

export const BACKEND_TO_FRONTEND_FILE = constants.backendToFrontendFile;
export const FRONTEND_TO_BACKEND_FILE = constants.frontendToBackendFile;
export const LOCK_FILE = constants.lockFile;
export const CHANNEL_INFO_FILE = constants.channelInfoFile;
// What a backend holds locked while it is open ("Backend liveness").
export const BACKEND_LOCK_FILE = constants.backendLockFile;
// ipckit 0.1's lock file of each channel file (write protocol step 3).
export const IPCKIT01_LOCK_FILES = Object.freeze({
  [constants.backendToFrontendFile]: constants.backendToFrontendLockFile,
  [constants.frontendToBackendFile]: constants.frontendToBackendLockFile,
});
export const DEFAULT_MAX_FILE_BYTES = constants.defaultMaxFileBytes;
export const MAX_CHANNEL_INFO_BYTES = constants.maxChannelInfoBytes;
export const FILE_CHANNEL_FORMAT_VERSION = constants.fileChannelFormatVersion;
// Format 2 retention (spec/file_channel.md, rule W3): a writer drops the
// first message while every named reader has it and it is ackGraceMs old,
// or while the file holds more than maxMessages or maxBytes. minAgeMs is
// format 1's rule, accepted and no longer applied.
export const DEFAULT_RETENTION = Object.freeze({
  maxMessages: constants.defaultRetentionMaxMessages,
  minAgeMs: constants.defaultRetentionMinAgeMs,
  maxBytes: constants.defaultRetentionMaxBytes,
  ackGraceMs: constants.defaultAckGraceMs,
});
// A cursor this old whose reader is not running is deleted by writers (W2).
export const DEFAULT_READER_TTL_MS = constants.defaultReaderTtlMs;

const TYPES = new Set(['request', 'response', 'event']);
const U32_MAX = 0xffffffff;

function optionalString(m, key) {
  const v = m[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidArgumentError(`message ${key} must be a string, not ${typeof v}`);
  return v;
}

// The exact JSON text of a message as a writer stores it. `payload` is any
// JSON value (or give `payloadJson`, JSON text, instead).
export function composeMessage(m) {
  if (!m || typeof m !== 'object') throw new InvalidArgumentError('message must be an object');
  if (!TYPES.has(m.type)) throw new InvalidArgumentError(`message type must be request, response or event, not ${String(m.type)}`);
  if (typeof m.id !== 'string') throw new InvalidArgumentError('message id must be a string');
  const payloadJson = m.payloadJson !== undefined
    ? String(m.payloadJson)
    : jsonDumps(m.payload === undefined ? null : m.payload);
  return unwrap(core().composeMessage({
    id: m.id,
    timestamp: intOption(m.timestamp, 'message timestamp', 0),
    type: m.type,
    method: optionalString(m, 'method'),
    replyTo: optionalString(m, 'replyTo'),
    payloadJson,
    error: optionalString(m, 'error'),
    seq: m.seq === undefined || m.seq === null ? undefined : intOption(m.seq, 'message seq', 0),
    sender: optionalString(m, 'sender'),
  }));
}

// One message object from its JSON text. CorruptError if it breaks the rules.
// With {payloadJson: true} the message carries `payloadJson`, the payload's
// compact JSON text, instead of `payload` (exact, and no conversion).
export function parseMessage(text, options = {}) {
  return unwrap(core().parseMessage(toBytes(text, 'message text'), Boolean(options.payloadJson)));
}

// Every message of a channel file (text or bytes). Empty text is an empty
// channel; CorruptError names `label` and the byte offset otherwise. Options
// as for parseMessage.
export function parseChannelFile(text, label = 'channel file', options = {}) {
  return unwrap(core().parseChannelFile(toBytes(text, 'channel file'), String(label), Boolean(options.payloadJson)));
}

// Validates a channel file (as parseChannelFile) and returns where each
// message's text is: [{id, begin, end}], byte offsets into the UTF-8 bytes.
export function scanChannelFile(text, label = 'channel file') {
  return unwrap(core().scanChannelFile(toBytes(text, 'channel file'), String(label)));
}

// A channel file from message texts.
export function composeChannelFile(messageTexts) {
  return core().composeChannelFile(Array.from(messageTexts, String));
}

function appendArgs(existing, messageTexts, options) {
  const retention = options.retention || {};
  const positions = options.readerPositions || [];
  return [
    toBytes(existing, 'channel file'),
    String(options.label || 'channel file'),
    Array.from(messageTexts, String),
    {
      // size_t is 32 bits in WASM.
      maxMessages: intOption(retention.maxMessages, 'retention.maxMessages', DEFAULT_RETENTION.maxMessages, U32_MAX),
      maxBytes: intOption(retention.maxBytes, 'retention.maxBytes', DEFAULT_RETENTION.maxBytes, U32_MAX),
      ackGraceMs: intOption(retention.ackGraceMs, 'retention.ackGraceMs', DEFAULT_RETENTION.ackGraceMs),
      nowMs: intOption(options.nowMs, 'nowMs', Date.now()),
      maxFileBytes: intOption(options.maxFileBytes, 'maxFileBytes', DEFAULT_MAX_FILE_BYTES, U32_MAX),
      readerPositions: Array.from(positions, (p) => intOption(p, 'readerPositions[]', 0)),
    },
  ];
}

// The new file after appending `messageTexts` to `existing`, each stamped
// with the next pos, and pruning per `retention` at `nowMs` given the cursor
// positions of the file's named readers (`readerPositions`, rule W3):
// {bytes, kept, pruned, firstPos}, the file as UTF-8 bytes. Existing
// messages stay byte for byte. CorruptError if `existing` is corrupt (never
// overwrite it); TooLargeError past maxFileBytes.
export function appendToChannelText(existing, messageTexts, options = {}) {
  return unwrap(core().appendToChannelTextWithOptions(...appendArgs(existing, messageTexts, options)));
}

// appendToChannelText for a writer that appends to one file again and again:
// it remembers the file as it last wrote it, so each append scans only what
// other writers added since (the core's AppendToIndexedChannelText). Same
// results and errors. Holds WASM memory: call dispose() when done.
export class ChannelFileWriter {
  #writer = new (core().ChannelFileWriter)();

  append(existing, messageTexts, options = {}) {
    if (!this.#writer) throw new InvalidArgumentError('ChannelFileWriter was disposed');
    return unwrap(this.#writer.appendWithOptions(...appendArgs(existing, messageTexts, options)));
  }

  dispose() {
    if (this.#writer) {
      this.#writer.delete();
      this.#writer = null;
    }
  }
}

// Normalizes one JSON value's text to the compact form messages carry.
export function normalizeJson(text) {
  return unwrap(core().normalizeJson(toBytes(text, 'JSON text')));
}

// The .channel_info text a channel's creator writes.
export function composeChannelInfo(createdMs = Date.now()) {
  return core().composeChannelInfo(createdMs);
}

// Throws UnsupportedVersionError/CorruptError unless `text` is a channel
// info this implementation can work with.
export function validateChannelInfo(text, label = CHANNEL_INFO_FILE) {
  check(core().validateChannelInfo(toBytes(text, 'channel info'), String(label)));
}

// The text an opening endpoint writes over the .channel_info `text` it read:
// null when it is of this format already; for an older one (0.1's, format
// 1's) the current text, keeping its "created" (else `nowMs`). Throws as
// validateChannelInfo (a newer format: UnsupportedVersionError).
export function raiseChannelInfo(text, nowMs = Date.now(), label = CHANNEL_INFO_FILE) {
  return unwrap(core().raiseChannelInfo(toBytes(text, 'channel info'), nowMs, String(label)));
}

// ---- Format 2 reader files (spec/file_channel.md, "Format 2") ----

// Throws InvalidArgumentError unless `name` is a reader name ([A-Za-z0-9_-]{1,64}).
export function validateReaderName(name) {
  if (typeof name !== 'string') throw new InvalidArgumentError(`reader name must be a string, not ${typeof name}`);
  check(core().validateReaderName(name));
}

// {cursor, lock, claims}: the names, in the channel directory, of reader
// `name`'s cursor and lock files for channel file `channelFile`, and of that
// file's claims file.
export function readerFileNames(channelFile, name) {
  return core().readerFileNames(String(channelFile), String(name));
}

// The reader name of `fileName` if it is a cursor file of `channelFile`, else null.
export function readerNameOfCursorFile(channelFile, fileName) {
  return core().readerNameOfCursorFile(String(channelFile), String(fileName));
}

// A cursor {pos, ids, updated} from its file's text; CorruptError naming `label`.
export function parseReaderCursor(text, label = 'cursor file') {
  return unwrap(core().parseReaderCursor(toBytes(text, 'cursor file'), String(label)));
}

export function composeReaderCursor(cursor) {
  return core().composeReaderCursor(cursor);
}

// Whether writers may delete `cursor` (rule W2; its reader's lock not held).
export function cursorExpired(cursor, nowMs, ttlMs = DEFAULT_READER_TTL_MS) {
  return core().cursorExpired(cursor, nowMs, ttlMs);
}

// The claims file: [{requestId, reader, pid, at}]; empty text is none.
export function parseClaims(text, label = 'claims file') {
  return unwrap(core().parseClaims(toBytes(text, 'claims file'), String(label)));
}

// Rule C1 for an endpoint that claims again and again: keeps the request
// and reply files indexed across claims (the core's ChannelFileIndex), so a
// claim scans only what was appended since the last one, and reuses the
// claims file's parse while its text is the one last read or written. One
// claim: claimants(claimsText, requestId) -> [{reader, pid, at}] on that
// request, whose liveness the caller checks; then decide(requestId,
// requestFile, replyFile, mine, alive) with one bool per claimant ->
// {outcome: 'claimed' | 'answered' | 'claimed_by_other', claims (the claims
// file to write when claimed, as UTF-8 bytes), holder}. Holds WASM memory:
// call dispose() when done.
export class ClaimIndex {
  #index = new (core().ClaimIndex)();

  claimants(claimsText, requestId, label = 'claims file') {
    return unwrap(this.#live().claimants(toBytes(claimsText, 'claims file'), String(label), String(requestId)));
  }

  decide(requestId, requestFile, replyFile, mine, alive, labels = {}) {
    return unwrap(this.#live().decide(String(requestId), toBytes(requestFile, 'request file'),
      String(labels.requests || 'request file'), toBytes(replyFile, 'reply file'), String(labels.replies || 'reply file'),
      mine, Array.from(alive, Boolean)));
  }

  // {fullScans, claimsParses}: files parsed whole (the first claim, a file
  // rewritten other than by appending) and claims file parses, so far.
  stats() {
    return this.#live().stats();
  }

  dispose() {
    if (this.#index) {
      this.#index.delete();
      this.#index = null;
    }
  }

  #live() {
    if (!this.#index) throw new InvalidArgumentError('the ClaimIndex was disposed');
    return this.#index;
  }
}

// A reader's memory of one channel file: takeNew(text) returns the messages
// it has not returned before, in file order, each id once. A sequence gap
// (messages pruned before they were read) throws DataLossError once; the next
// call delivers what is there. CorruptError leaves the state untouched.
// Holds WASM memory: call dispose() when done.
export class Inbox {
  #tracker;

  constructor(tracker = new (core().Inbox)()) {
    this.#tracker = tracker;
  }

  takeNew(text, label = 'channel file', options = {}) {
    return unwrap(this._live().takeNew(toBytes(text, 'channel file'), String(label), Boolean(options.payloadJson)));
  }

  // Marks everything in `text` as taken without returning it.
  skipAll(text, label = 'channel file') {
    check(this._live().skipAll(toBytes(text, 'channel file'), String(label)));
  }

  dispose() {
    if (this.#tracker) {
      this.#tracker.delete();
      this.#tracker = null;
    }
  }

  _live() {
    if (!this.#tracker) throw new InvalidArgumentError('the inbox was disposed');
    return this.#tracker;
  }
}

// A named reader's memory of one channel file (rules R2-R5), started from
// its cursor: takeNew(text) returns the messages past it, in file order; a
// pos gap (pruned before it read them) throws DataLossError once.
// cursor() is what the reader writes to its cursor file. Holds WASM memory:
// call dispose() when done. skipAll(text): a new reader that starts at the
// end of the file.
export class NamedInbox extends Inbox {
  constructor(cursor = { pos: 0, ids: [] }) {
    super(new (core().NamedInbox)(cursor));
  }

  // A new reader's start (rule R4): just before the first message of
  // `text`, or at `floor` (the highest cursor pos of the file's readers)
  // when no message in it has a pos.
  startBefore(text, label = 'channel file', floor = 0) {
    check(this._live().startBefore(toBytes(text, 'channel file'), String(label), intOption(floor, 'floor', 0)));
  }

  // {pos, ids}: how far this reader has taken.
  cursor() {
    const c = this._live().cursor();
    return { pos: c.pos, ids: c.ids };
  }
}
