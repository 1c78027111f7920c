// Error types: one class per error class of spec/conventions.md, plus
// RemoteError for an error response from the other side of a FileChannel.
//
//   try { jsonLoads('[1,]'); } catch (e) {
//     e instanceof InvalidArgumentError;  // true
//     e.errorClass;                       // "invalid_argument"
//   }

export class IpckitError extends Error {
  constructor(message, errorClass = 'io', options = undefined) {
    super(message, options);
    // The spec's error class string ("timeout", "corrupt", ...).
    this.errorClass = errorClass;
  }
}

export class InvalidArgumentError extends IpckitError {
  constructor(message, options) { super(message, 'invalid_argument', options); }
}
export class NotFoundError extends IpckitError {
  constructor(message, options) { super(message, 'not_found', options); }
}
export class InUseError extends IpckitError {
  constructor(message, options) { super(message, 'in_use', options); }
}
export class TimeoutError extends IpckitError {
  constructor(message, options) { super(message, 'timeout', options); }
}
export class PeerClosedError extends IpckitError {
  constructor(message, options) { super(message, 'peer_closed', options); }
}
export class TruncatedError extends IpckitError {
  constructor(message, options) { super(message, 'truncated', options); }
}
export class TooLargeError extends IpckitError {
  constructor(message, options) { super(message, 'too_large', options); }
}
export class CorruptError extends IpckitError {
  constructor(message, options) { super(message, 'corrupt', options); }
}
export class UnsupportedVersionError extends IpckitError {
  constructor(message, options) { super(message, 'unsupported_version', options); }
}
export class OutOfRangeError extends IpckitError {
  constructor(message, options) { super(message, 'out_of_range', options); }
}
export class PermissionDeniedError extends IpckitError {
  constructor(message, options) { super(message, 'permission_denied', options); }
}
export class ClosedError extends IpckitError {
  constructor(message, options) { super(message, 'closed', options); }
}
// Messages were pruned from a channel file before this reader took them
// (cc/file_channel/inbox.h; not yet in spec/conventions.md's table).
export class DataLossError extends IpckitError {
  constructor(message, options) { super(message, 'data_loss', options); }
}
// A synchronous function was called before the WASM core finished loading
// (ESM builds load it lazily: `await ready()` first). JS only.
export class NotReadyError extends IpckitError {
  constructor(message, options) { super(message, 'not_ready', options); }
}

// The other side answered a request with an error response. `response` is
// the response message; `message` is its "error" text.
export class RemoteError extends IpckitError {
  constructor(message, response) {
    super(message, 'remote');
    this.response = response;
  }
}

// Each class's name as a string on its prototype, not the class's own name:
// minifiers rename classes, and err.name must still say "TimeoutError".
for (const [Type, name] of [
  [IpckitError, 'IpckitError'], [InvalidArgumentError, 'InvalidArgumentError'], [NotFoundError, 'NotFoundError'],
  [InUseError, 'InUseError'], [TimeoutError, 'TimeoutError'], [PeerClosedError, 'PeerClosedError'],
  [TruncatedError, 'TruncatedError'], [TooLargeError, 'TooLargeError'], [CorruptError, 'CorruptError'],
  [UnsupportedVersionError, 'UnsupportedVersionError'], [OutOfRangeError, 'OutOfRangeError'],
  [PermissionDeniedError, 'PermissionDeniedError'], [ClosedError, 'ClosedError'], [DataLossError, 'DataLossError'],
  [NotReadyError, 'NotReadyError'], [RemoteError, 'RemoteError'],
]) {
  Object.defineProperty(Type.prototype, 'name', { value: name, writable: true, configurable: true });
}

const BY_CLASS = {
  invalid_argument: InvalidArgumentError,
  not_found: NotFoundError,
  in_use: InUseError,
  timeout: TimeoutError,
  peer_closed: PeerClosedError,
  truncated: TruncatedError,
  too_large: TooLargeError,
  corrupt: CorruptError,
  unsupported_version: UnsupportedVersionError,
  out_of_range: OutOfRangeError,
  permission_denied: PermissionDeniedError,
  closed: ClosedError,
  data_loss: DataLossError,
  not_ready: NotReadyError,
};

// The error object for an error class and message.
export function makeError(errorClass, message, options) {
  const Type = BY_CLASS[errorClass];
  return Type ? new Type(message, options) : new IpckitError(message, errorClass, options);
}

// A core result {value} / {error, message}: the value, or throws.
export function unwrap(result) {
  if (result.error !== undefined) throw makeError(result.error, result.message);
  return result.value;
}

// A core status (null or {error, message}): returns, or throws.
export function check(status) {
  if (status !== null && status !== undefined) throw makeError(status.error, status.message);
}

// The errno codes of ErrnoError in cc/base/error.cc, for Node's system errors.
const BY_ERRNO = {
  ENOENT: 'not_found',
  EEXIST: 'in_use',
  EADDRINUSE: 'in_use',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  EPIPE: 'peer_closed',
  ECONNRESET: 'peer_closed',
  ECONNREFUSED: 'peer_closed',
  ETIMEDOUT: 'timeout',
  EINVAL: 'invalid_argument',
};

// Wraps a Node system error (err.code "ENOENT", ...) as "<context>: <why>"
// with the matching class; anything else is class "io".
export function fromSystemError(err, context) {
  if (err instanceof IpckitError) return err;
  const errorClass = BY_ERRNO[err && err.code] || 'io';
  const why = err && err.message ? err.message : String(err);
  return makeError(errorClass, `${context}: ${why}`, { cause: err });
}
