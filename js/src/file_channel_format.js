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
export const DEFAULT_MAX_FILE_BYTES = constants.defaultMaxFileBytes;
export const MAX_CHANNEL_INFO_BYTES = constants.maxChannelInfoBytes;
export const FILE_CHANNEL_FORMAT_VERSION = constants.fileChannelFormatVersion;
export const DEFAULT_RETENTION = Object.freeze({
  maxMessages: constants.defaultRetentionMaxMessages,
  minAgeMs: constants.defaultRetentionMinAgeMs,
});

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
  return [
    toBytes(existing, 'channel file'),
    String(options.label || 'channel file'),
    Array.from(messageTexts, String),
    // size_t is 32 bits in WASM.
    intOption(retention.maxMessages, 'retention.maxMessages', DEFAULT_RETENTION.maxMessages, U32_MAX),
    intOption(retention.minAgeMs, 'retention.minAgeMs', DEFAULT_RETENTION.minAgeMs),
    intOption(options.nowMs, 'nowMs', Date.now()),
    intOption(options.maxFileBytes, 'maxFileBytes', DEFAULT_MAX_FILE_BYTES, U32_MAX),
  ];
}

// The new file after appending `messageTexts` to `existing` and pruning per
// `retention` at `nowMs`: {bytes, kept, pruned}, the file as UTF-8 bytes.
// Existing messages stay byte for byte. CorruptError if `existing` is corrupt
// (never overwrite it); TooLargeError past maxFileBytes.
export function appendToChannelText(existing, messageTexts, options = {}) {
  return unwrap(core().appendToChannelText(...appendArgs(existing, messageTexts, options)));
}

// appendToChannelText for a writer that appends to one file again and again:
// it remembers the file as it last wrote it, so each append scans only what
// other writers added since (the core's AppendToIndexedChannelText). Same
// results and errors. Holds WASM memory: call dispose() when done.
export class ChannelFileWriter {
  #writer = new (core().ChannelFileWriter)();

  append(existing, messageTexts, options = {}) {
    if (!this.#writer) throw new InvalidArgumentError('ChannelFileWriter was disposed');
    return unwrap(this.#writer.append(...appendArgs(existing, messageTexts, options)));
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

// A reader's memory of one channel file: takeNew(text) returns the messages
// it has not returned before, in file order, each id once. A sequence gap
// (messages pruned before they were read) throws DataLossError once; the next
// call delivers what is there. CorruptError leaves the state untouched.
// Holds WASM memory: call dispose() when done.
export class Inbox {
  #tracker = new (core().Inbox)();

  takeNew(text, label = 'channel file', options = {}) {
    return unwrap(this.#live().takeNew(toBytes(text, 'channel file'), String(label), Boolean(options.payloadJson)));
  }

  // Marks everything in `text` as taken without returning it.
  skipAll(text, label = 'channel file') {
    check(this.#live().skipAll(toBytes(text, 'channel file'), String(label)));
  }

  dispose() {
    if (this.#tracker) {
      this.#tracker.delete();
      this.#tracker = null;
    }
  }

  #live() {
    if (!this.#tracker) throw new InvalidArgumentError('Inbox was disposed');
    return this.#tracker;
  }
}
