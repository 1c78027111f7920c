// Declarations for the portable part of ipckit (WASM core): errors, frames,
// JSON, names and the FileChannel format. Shared by index.d.ts and browser.d.ts.

/** Anything accepted as bytes: a Uint8Array (Buffer is one), an ArrayBuffer,
 * another ArrayBuffer view, or a string (taken as UTF-8). */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A JSON value as ipckit reads and writes it. Integers beyond 2^53 are BigInt. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** The error classes of spec/conventions.md, plus data_loss and remote. */
export type ErrorClass =
  | 'invalid_argument' | 'not_found' | 'in_use' | 'timeout' | 'peer_closed' | 'truncated' | 'too_large'
  | 'corrupt' | 'unsupported_version' | 'out_of_range' | 'permission_denied' | 'closed' | 'io'
  | 'data_loss' | 'not_ready' | 'remote';

export class IpckitError extends Error {
  constructor(message: string, errorClass?: ErrorClass | string, options?: { cause?: unknown });
  /** The spec's error class string ("timeout", "corrupt", ...). */
  readonly errorClass: ErrorClass | string;
}
export class InvalidArgumentError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class NotFoundError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class InUseError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class TimeoutError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class PeerClosedError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class TruncatedError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class TooLargeError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class CorruptError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class UnsupportedVersionError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class OutOfRangeError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class PermissionDeniedError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
export class ClosedError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
/** Messages were pruned from a channel file before this reader took them. */
export class DataLossError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
/** A synchronous function was called before the WASM core loaded: `await ready()` first. */
export class NotReadyError extends IpckitError { constructor(message: string, options?: { cause?: unknown }); }
/** The other side answered a request with an error response. */
export class RemoteError extends IpckitError {
  constructor(message: string, response: FileMessage);
  /** The error response message. */
  readonly response: FileMessage;
}

/** The error object for an error class and message. */
export function makeError(errorClass: ErrorClass | string, message: string, options?: { cause?: unknown }): IpckitError;
/** Wraps a Node system error (code "ENOENT", ...) with the matching class. */
export function fromSystemError(err: unknown, context: string): IpckitError;
/** A core result: its value, or throws its error. */
export function unwrap<T>(result: { value?: T; error?: string; message?: string }): T;
/** A core status (null = OK): returns, or throws its error. */
export function check(status: null | { error: string; message: string }): void;

/**
 * Resolves once the WASM core is loaded, starting the load on the first call. The ESM build loads it
 * lazily (no top-level await): await this once before the synchronous functions (encodeFrame,
 * jsonDumps, ...), which throw NotReadyError until then. Async APIs wait for it themselves. In the
 * CommonJS build the core is loaded by require() and this resolves at once.
 */
export function ready(): Promise<void>;
/** Whether the WASM core is loaded (the synchronous functions work). */
export function isReady(): boolean;

export const VERSION: string;
/** The wire/layout format version of spec/ this package implements. */
export const FORMAT_VERSION: number;

// ---- frames (spec/channel_framing.md) ----

export interface FrameOptions {
  /** Largest payload accepted or sent, 0..2^32-1. Default 16 MiB. */
  maxPayload?: number;
}
export const FRAME_HEADER_SIZE: number;
export const DEFAULT_MAX_PAYLOAD: number;
/** Header and payload in one array. TooLargeError over maxPayload. */
export function encodeFrame(payload: BytesLike, options?: FrameOptions): Uint8Array;
/** The 4-byte header for a payload of `size` bytes. TooLargeError over maxPayload. */
export function frameHeader(size: number, options?: FrameOptions): Uint8Array;
/** Decodes a complete byte string; `error` is set (TruncatedError, TooLargeError) if it stopped early. */
export function decodeFrames(bytes: BytesLike, options?: FrameOptions): { payloads: Uint8Array[]; error: IpckitError | null };

/** Splits a byte stream into payloads. Call dispose() when done. */
export class FrameDecoder {
  constructor(options?: FrameOptions);
  /** Appends bytes; throws the sticky TooLargeError if the stream is already unusable. */
  push(chunk: BytesLike): void;
  /** The next complete payload, or null; throws the sticky TooLargeError once the frames before it are taken. */
  next(): Uint8Array | null;
  /** At end of input: throws TruncatedError inside a frame, else returns. */
  finish(): void;
  readonly error: IpckitError | null;
  readonly bufferedBytes: number;
  readonly atFrameBoundary: boolean;
  readonly maxPayload: number;
  dispose(): void;
}

// ---- JSON (spec/json.md) ----

/** Compact JSON text, byte for byte what ipckit's json_dumps writes for the value. */
export function jsonDumps(value: unknown): string;
/** Pretty JSON text (2-space indent). */
export function jsonDumpsPretty(value: unknown): string;
/** Parses strict JSON (string or UTF-8 bytes). Integers beyond 2^53 become BigInt. */
export function jsonLoads(text: string | Uint8Array | ArrayBuffer): JsonValue;
/** JSON text in ipckit's canonical form, keeping 1.0 vs 1 and big integers. */
export function jsonCanonical(text: string | Uint8Array | ArrayBuffer, options?: { pretty?: boolean }): string;
/** The JSON text of `x` as a double ("1.0", "1e300"). InvalidArgumentError for NaN/Infinity. */
export function jsonFormatDouble(x: number): string;
/** The JSON string literal of UTF-8 bytes. InvalidArgumentError if they are not UTF-8. */
export function jsonQuoteUtf8(bytes: BytesLike): string;

// ---- names (spec/naming.md) ----

/** Throws InvalidArgumentError unless `name` is a valid plain name. */
export function validateName(name: string): void;
/** "/tmp/{name}.sock", or the absolute path itself. */
export function socketPathFor(name: string): string;

// ---- FileChannel format (spec/file_channel.md) ----

export type MessageType = 'request' | 'response' | 'event';

/** One FileChannel message. */
export interface FileMessage {
  id: string;
  /** Writer's clock, ms since the Unix epoch. */
  timestamp: number;
  type: MessageType;
  /** Request method or event name. */
  method?: string;
  /** For a response: the id of the request it answers. */
  replyTo?: string;
  /** The payload (absent only when parsed with {payloadJson: true}). */
  payload: JsonValue;
  /** The payload's compact JSON text, when parsed with {payloadJson: true}. */
  payloadJson?: string;
  /** For an error response: what went wrong. */
  error?: string;
  /** Per-writer sequence number (format 1 extension). */
  seq?: number;
  /** Id of the writing endpoint (format 1 extension). */
  sender?: string;
  /** The message's place in its file's append history, stamped by the writer (format 2). */
  pos?: number;
}

/** What composeMessage takes: a message with `payload` (any JSON value) or `payloadJson` (JSON text). */
export interface MessageSpec {
  id: string;
  timestamp?: number;
  type: MessageType;
  method?: string;
  replyTo?: string;
  payload?: unknown;
  payloadJson?: string;
  error?: string;
  seq?: number;
  sender?: string;
}

/**
 * When writers prune the front of a channel file (format 2, spec/file_channel.md rule W3): while
 * every named reader has taken the first message and it is ackGraceMs old, or while the file holds
 * more than maxMessages or maxBytes.
 */
export interface RetentionPolicy {
  /** The file's message bound. Default 1000. */
  maxMessages?: number;
  /** Format 1's age rule: accepted, no longer applied. */
  minAgeMs?: number;
  /** The file's byte bound. Default 8 MiB. */
  maxBytes?: number;
  /** How long an acknowledged message stays for anonymous and ipckit 0.1 readers. Default 500. */
  ackGraceMs?: number;
}

export const BACKEND_TO_FRONTEND_FILE: string;
export const FRONTEND_TO_BACKEND_FILE: string;
export const LOCK_FILE: string;
export const CHANNEL_INFO_FILE: string;
export const DEFAULT_MAX_FILE_BYTES: number;
export const MAX_CHANNEL_INFO_BYTES: number;
export const FILE_CHANNEL_FORMAT_VERSION: number;
export const DEFAULT_RETENTION: Readonly<Required<RetentionPolicy>>;

/** The exact JSON text of a message as writers store it. */
export function composeMessage(message: MessageSpec): string;
export interface ParseOptions {
  /** Give each message `payloadJson` (exact compact JSON text) instead of `payload`. */
  payloadJson?: boolean;
}
/** One message from its JSON text; CorruptError if it breaks the rules. */
export function parseMessage(text: BytesLike, options?: ParseOptions): FileMessage;
/** Every message of a channel file; CorruptError names `label` and the byte. */
export function parseChannelFile(text: BytesLike, label?: string, options?: ParseOptions): FileMessage[];
/** Validates a channel file and locates each message's text (byte offsets into its UTF-8 bytes). */
export function scanChannelFile(text: BytesLike, label?: string): { id: string; begin: number; end: number }[];
/** A channel file from message texts. */
export function composeChannelFile(messageTexts: Iterable<string>): string;
export interface AppendOptions {
  label?: string;
  retention?: RetentionPolicy;
  nowMs?: number;
  maxFileBytes?: number;
  /** The cursor positions of the file's named readers (acknowledged pruning). */
  readerPositions?: number[];
}
/** UTF-8 bytes, counts, and the pos stamped on the first new message. */
export interface AppendResult { bytes: Uint8Array; kept: number; pruned: number; firstPos: number }
/** The file after appending (each new message stamped with the next pos) and pruning. */
export function appendToChannelText(existing: BytesLike, messageTexts: Iterable<string>, options?: AppendOptions): AppendResult;
/**
 * appendToChannelText for a writer that appends to one file repeatedly: it
 * remembers what it wrote last, so each append scans only what other writers
 * added since. Same results and errors. Call dispose() when done.
 */
export class ChannelFileWriter {
  constructor();
  append(
    existing: BytesLike,
    messageTexts: Iterable<string>,
    options?: AppendOptions,
  ): AppendResult;
  dispose(): void;
}
/** A bridge splice (spec/bridge.md): new = body[0, at) + old[from, to) + body[at, ). */
export interface Splice { at: number; from: number; to: number; body: Uint8Array }
/** A splice of `newBytes` against `oldBytes`, or null when they share too little. */
export function computeSplice(oldBytes: BytesLike, newBytes: BytesLike): Splice | null;
/** The new version from the old one and a splice; CorruptError if it does not fit. */
export function applySplice(oldBytes: BytesLike, at: number, from: number, to: number, body: BytesLike): Uint8Array;
/** One JSON value's text in the compact form messages carry. */
export function normalizeJson(text: BytesLike): string;
/** The .channel_info text a channel's creator writes. */
export function composeChannelInfo(createdMs?: number): string;
/** Throws UnsupportedVersionError/CorruptError for a channel info this version cannot use. */
export function validateChannelInfo(text: BytesLike, label?: string): void;

/** A reader's memory of one channel file. Call dispose() when done. */
export class Inbox {
  constructor();
  /** Messages not returned before, in file order. DataLossError once per gap. */
  takeNew(text: BytesLike, label?: string, options?: ParseOptions): FileMessage[];
  /** Marks everything in `text` as taken. */
  skipAll(text: BytesLike, label?: string): void;
  dispose(): void;
}

// ---- FileChannel endpoints ----

export interface TimeoutOptions {
  /** Milliseconds; Infinity allowed. */
  timeoutMs?: number;
}

/** Options of a call that waits: a timeout, and a signal that ends the wait with its reason. */
export interface WaitOptions extends TimeoutOptions {
  /** Aborting ends the wait; the call rejects with `signal.reason` (an AbortError by default). */
  signal?: AbortSignal;
}

/** Options of a send: as WaitOptions; an abort withdraws a send still queued. */
export interface SendOptions extends WaitOptions {
  /** Stamp the message with this time (ms) instead of the clock. */
  timestampMs?: number;
}

export type RequestHandler<P = any, R = unknown> = (params: P, message: FileMessage) => R | Promise<R>;
export type EventListener<P = any> = (payload: P, message: FileMessage) => unknown;

/** Requests by method: what each takes and what it answers. */
export type RequestMap = { [method: string]: { params: any; result: any } };
/** Events by name: the payload of each. */
export type EventMap = { [name: string]: any };

/**
 * What a channel carries, for TypeScript, from one side's view. Every key is optional; a missing one
 * allows any method or event. For example, a frontend's schema:
 *
 *   interface Ui {
 *     requests: { getUser: { params: { id: number }; result: { name: string } } };  // it sends
 *     handles: { getTheme: { params: null; result: { theme: string } } };           // it serves
 *     emits: { clicked: { x: number } };                                             // events it sends
 *     receives: { status: { ok: boolean } };                                         // events it gets
 *   }
 *   const ch = await FileChannel.frontend<Ui>('./ipc_channel');
 */
export interface ChannelSchema {
  requests?: RequestMap;
  handles?: RequestMap;
  emits?: EventMap;
  receives?: EventMap;
}
type Requests<S> = S extends { requests: infer R extends RequestMap } ? R : RequestMap;
type Handles<S> = S extends { handles: infer R extends RequestMap } ? R : RequestMap;
type Emits<S> = S extends { emits: infer E extends EventMap } ? E : EventMap;
type Receives<S> = S extends { receives: infer E extends EventMap } ? E : EventMap;

export interface EndpointOptions {
  /** Default timeout of sendRequest. Default 30000. */
  requestTimeoutMs?: number;
  /** Bound on the lock wait (or bridge append) of each send. Default 10000. */
  sendTimeoutMs?: number;
  /**
   * How long a request for a method with no handler waits for onRequest() to register one before it
   * is answered with a "no handler" error. Default 5000; 0 answers at once; Infinity waits.
   */
  handlerWaitMs?: number;
}

/** What a FileChannel endpoint dispatches: 'message' (with `message`), 'error' (with `error`), 'close'. */
export class FileChannelEvent extends Event {
  constructor(type: string, init?: { message?: FileMessage | null; error?: unknown });
  /** The incoming message ('message' events), else null. */
  readonly message: FileMessage | null;
  /** The receive error ('error' events) or what closed the endpoint ('close' after a failure), else null. */
  readonly error: unknown;
}

export interface MessagesOptions {
  /** Only messages of this type. */
  type?: MessageType;
  /** Only messages with this method or event name. */
  method?: string;
  /** Ends the iteration with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * What every FileChannel transport shares: handlers, listeners, requests. An EventTarget:
 * 'message' for every incoming message, 'error' for receive problems, 'close' once.
 */
export abstract class FileChannelEndpoint<S extends ChannelSchema = ChannelSchema> extends EventTarget {
  protected constructor(side: 'frontend' | 'backend', options?: EndpointOptions);
  readonly side: 'frontend' | 'backend';
  /** This endpoint's writer id (the "sender" of what it sends). */
  readonly senderId: string;
  readonly closed: boolean;

  /** Serves requests for `method`. Requests that arrived first (within handlerWaitMs) run now. Returns an unregister function. */
  onRequest<M extends keyof Handles<S> & string>(
    method: M, handler: RequestHandler<Handles<S>[M]['params'], Handles<S>[M]['result']>): () => void;
  /** Serves requests for any method without its own handler. */
  onRequest(method: '*', handler: RequestHandler): () => void;
  /** Listens to events `name`. Returns an unregister function. */
  onEvent<N extends keyof Receives<S> & string>(name: N, listener: EventListener<Receives<S>[N]>): () => void;
  /** Listens to every event. */
  onEvent(name: '*', listener: EventListener): () => void;
  /** Receive-side problems (CorruptError, DataLossError, listener throws). */
  onError(listener: (error: unknown) => void): () => void;

  /** Resolves with the response payload; rejects with RemoteError, TimeoutError or the signal's reason. */
  sendRequest<M extends keyof Requests<S> & string>(
    method: M, params?: Requests<S>[M]['params'], options?: WaitOptions): Promise<Requests<S>[M]['result']>;
  /** Resolves with the event's id once it is written. */
  sendEvent<N extends keyof Emits<S> & string>(name: N, payload?: Emits<S>[N], options?: SendOptions): Promise<string>;
  sendResponse(requestId: string, result?: unknown, options?: SendOptions): Promise<string>;
  sendError(requestId: string, errorMessage: string, options?: SendOptions): Promise<string>;
  /** Incoming messages from now on, in file order, optionally filtered; ends when the endpoint closes. */
  messages(options?: MessagesOptions): AsyncIterableIterator<FileMessage>;
  /** Every incoming message from now on: `for await (const m of channel)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<FileMessage>;
  /** Writes what was sent, stops reading, rejects pending requests with ClosedError, dispatches 'close'. */
  close(): Promise<void>;

  addEventListener(type: 'message' | 'error' | 'close', listener: (event: FileChannelEvent) => void,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
  removeEventListener(type: 'message' | 'error' | 'close', listener: (event: FileChannelEvent) => void,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions): void;
}

export interface BridgeFileChannelOptions extends EndpointOptions {
  /** A fetch implementation. Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** How long the bridge may hold a read (hanging GET). Default 25. */
  waitSeconds?: number;
  /** Read changes from the bridge's event stream (false: hanging GETs only). Default true. */
  stream?: boolean;
  /** Ignore messages already in the incoming file. Default false. */
  skipExisting?: boolean;
  /** The bridge's token, instead of the `?token=` of the URL it printed. */
  token?: string;
  /** Ends the connect with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * A reader name ([A-Za-z0-9_-]{1,64}) the bridge holds for this endpoint
   * (spec/bridge.md, "Named readers"), or null for an anonymous reader.
   * Default: in a browser, this tab's name kept in sessionStorage.
   */
  reader?: string | null;
}

/**
 * A FileChannel endpoint that talks to the HTTP bridge (spec/bridge.md): for
 * pages. `baseUrl` is the URL the bridge printed, `?token=` included.
 */
export class BridgeFileChannel<S extends ChannelSchema = ChannelSchema> extends FileChannelEndpoint<S> {
  static frontend<S extends ChannelSchema = ChannelSchema>(baseUrl: string, options?: BridgeFileChannelOptions): Promise<BridgeFileChannel<S>>;
  static backend<S extends ChannelSchema = ChannelSchema>(baseUrl: string, options?: BridgeFileChannelOptions): Promise<BridgeFileChannel<S>>;
  static open<S extends ChannelSchema = ChannelSchema>(
    baseUrl: string, side: 'frontend' | 'backend', options?: BridgeFileChannelOptions): Promise<BridgeFileChannel<S>>;
  /** The bridge's URL without its token. */
  readonly url: string;
  /** The bridge's /v1/info answer. */
  readonly bridgeInfo: Record<string, unknown> | null;
  /** How many reads came as splices (only what changed) rather than whole files. */
  readonly splicedReads: number;
  /** How changes arrive: the bridge's event stream, hanging GETs, or null before the first read. */
  readonly transport: 'stream' | 'poll' | null;
  /** The reader name the bridge holds for this endpoint, or null (anonymous). */
  readonly reader: string | null;
  /** Resolves once the cursor of what was taken and answered is acknowledged to the bridge. */
  cursorSaved(): Promise<void>;
}
