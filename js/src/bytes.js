// Byte inputs accepted across the package: Uint8Array (Node's Buffer is one),
// ArrayBuffer, any other ArrayBuffer view, or a string (taken as UTF-8).
import { InvalidArgumentError } from './errors.js';

const encoder = new TextEncoder();

export function toBytes(data, what = 'data') {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') {
    if (typeof data.isWellFormed === 'function' && !data.isWellFormed()) {
      throw new InvalidArgumentError(`${what} contains a lone UTF-16 surrogate, which has no UTF-8 form`);
    }
    return encoder.encode(data);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidArgumentError(`${what} must be a Uint8Array, ArrayBuffer or string, not ${typeof data}`);
}

// A positive integer option in [1, max], or the default when absent.
export function intOption(value, name, fallback, max = Number.MAX_SAFE_INTEGER, min = 0) {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

// A timeout in ms: a finite number >= 0, or Infinity when `allowInfinite`.
export function timeoutOption(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a number of milliseconds >= 0, got ${String(value)}`);
  }
  return value;
}

// Throws InvalidArgumentError for an option the call does not know (a typo
// such as `timeout` for `timeoutMs` would otherwise be silently ignored).
export function checkOptions(options, known, what) {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') throw new InvalidArgumentError(`${what}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${what}: unknown option "${key}" (known: ${known.join(', ') || 'none'})`);
    }
  }
}
