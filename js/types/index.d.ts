// ipckit for Node: the portable core plus the FileChannel and IpcChannel
// transports.
import type {
  ChannelSchema, EndpointOptions, FileChannelEndpoint, FileChannelEvent, FrameOptions, RetentionPolicy, TimeoutOptions, WaitOptions,
} from './common.js';

export * from './common.js';

export interface FileChannelOptions extends EndpointOptions {
  /** When writers prune old messages. Default {maxMessages: 1000, minAgeMs: 60000}. */
  retention?: RetentionPolicy;
  /** Largest channel file read or written. Default 64 MiB. */
  maxFileBytes?: number;
  /** fsync every write (survives power loss). Default false. */
  fsync?: boolean;
  /** The same as start: 'now' (format 1's name). Default false. */
  skipExisting?: boolean;
  /**
   * A reader name ([A-Za-z0-9_-]{1,64}): the endpoint keeps a cursor in the directory and resumes from
   * it when it opens again under the name (a reload replays no event and misses nothing sent
   * meanwhile). One instance at a time per name: InUseError otherwise. Default: anonymous (memory
   * only). Requests are claimed before a handler runs either way, so none runs twice.
   */
  reader?: string;
  /** Where a new reader starts: 'all' (the file's messages) or 'now' (only what comes after the open). */
  start?: 'all' | 'now';
  /** Bound on the lock wait while opening. Default 10000. */
  openTimeoutMs?: number;
  /** Ends the open (its lock wait) with `signal.reason`. */
  signal?: AbortSignal;
  /** Poll the incoming file's stat (1..20 ms backoff) instead of fs.watch. Default false. */
  forcePolling?: boolean;
  /**
   * Accept a channel directory another user owns or that group or others can write, and other
   * users' files in it (they can then read, forge or delete every message). Default false: such a
   * directory is refused with PermissionDeniedError.
   */
  allowSharedDirectory?: boolean;
}

/** Request/response and events through the JSON files of a channel directory. */
export class FileChannel<S extends ChannelSchema = ChannelSchema> extends FileChannelEndpoint<S> {
  static frontend<S extends ChannelSchema = ChannelSchema>(dir: string, options?: FileChannelOptions): Promise<FileChannel<S>>;
  static backend<S extends ChannelSchema = ChannelSchema>(dir: string, options?: FileChannelOptions): Promise<FileChannel<S>>;
  static open<S extends ChannelSchema = ChannelSchema>(
    dir: string, side: 'frontend' | 'backend', options?: FileChannelOptions): Promise<FileChannel<S>>;

  readonly dir: string;
  readonly incomingPath: string;
  readonly outgoingPath: string;
  /** True when reading polls the file's stat instead of watching the directory. */
  readonly polling: boolean;
  /**
   * Empties both channel files (as ipckit 0.1's clear() does) under the send locks, waiting at
   * most timeoutMs (default sendTimeoutMs). Messages nobody has read yet are gone.
   */
  clear(options?: TimeoutOptions): Promise<void>;
  /**
   * Whether a backend has the channel open (it holds flock on .backend.lock; a crash releases it).
   * The first call, or a listener for 'online' / 'offline', starts a watch that dispatches those
   * events on each change (the first result too). ClosedError once closed.
   */
  backendOnline(): Promise<boolean>;

  addEventListener(type: 'online' | 'offline' | 'message' | 'error' | 'close',
    listener: (event: FileChannelEvent) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
}

export interface IpcChannelOptions extends FrameOptions {}
export interface ConnectOptions extends IpcChannelOptions, WaitOptions {}

/** Messages over a Unix-domain socket, framed per spec/channel_framing.md. */
export class IpcChannel {
  /** A server at socketPathFor(name). InUseError if a live server has it. */
  static create(name: string, options?: IpcChannelOptions): Promise<IpcChannel>;
  /** A client, waiting up to timeoutMs (default 30000) for the server. */
  static connect(name: string, options?: ConnectOptions): Promise<IpcChannel>;

  readonly name: string;
  readonly path: string;
  readonly isServer: boolean;
  readonly isConnected: boolean;
  readonly maxPayload: number;

  /** Server: accept the next client as the current connection. */
  waitForClient(options?: WaitOptions): Promise<void>;
  /** An abort withdraws a send still queued; one whose bytes started going out completes. */
  send(data: Uint8Array | ArrayBuffer | ArrayBufferView | string, options?: WaitOptions): Promise<void>;
  recv(options?: WaitOptions): Promise<Uint8Array>;
  sendJson(value: unknown, options?: WaitOptions): Promise<void>;
  recvJson<T = any>(options?: WaitOptions): Promise<T>;
  /** Lets the process exit while the channel is open; returns the channel. */
  unref(): this;
  /** Undoes unref(); returns the channel. */
  ref(): this;
  /** Closes the current connection only. */
  disconnect(): void;
  /** Closes everything; a server removes its socket file. */
  close(): void;
  /** A server for many clients at once; each connection is a 'connection' event. */
  static serve(name: string, options?: IpcChannelOptions): Promise<IpcServer>;
}

/**
 * The server IpcChannel.serve() returns: each client is its own IpcChannel,
 * with its own buffers and backpressure. A connection that arrives while
 * nobody listens for 'connection' is closed.
 */
export class IpcServer {
  readonly name: string;
  readonly path: string;
  readonly closed: boolean;
  /** The clients connected now. */
  readonly clients: IpcChannel[];
  on(event: 'connection' | 'disconnect', listener: (client: IpcChannel) => void): this;
  on(event: 'close', listener: () => void): this;
  once(event: 'connection' | 'disconnect', listener: (client: IpcChannel) => void): this;
  once(event: 'close', listener: () => void): this;
  /** Removes a listener (an EventEmitter from node:events at runtime). */
  off(event: 'connection' | 'disconnect' | 'close', listener: (...args: any[]) => void): this;
  unref(): this;
  ref(): this;
  /** Stops listening, removes the socket file and closes every client. */
  close(): void;
}
