// AbortSignal support shared by every waiting call: `{ signal }` in its
// options ends the wait with `signal.reason` (an AbortError DOMException
// unless the caller gave another reason), as fetch() does.
//
//   const stop = onAbort(options.signal, (reason) => reject(reason));
//   ...
//   stop();  // the wait ended another way: forget the listener
import { InvalidArgumentError } from './errors.js';

// Checks an optional `signal` option; returns it, or null when absent.
export function signalOption(signal, what) {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new InvalidArgumentError(`${what}: signal must be an AbortSignal`);
  }
  return signal;
}

// The reason an aborted signal gives (a fresh AbortError if it has none).
export function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

// Calls `fn(reason)` once when `signal` aborts (at once, synchronously, if
// it already has). Returns a function that removes the listener.
export function onAbort(signal, fn) {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn(abortReason(signal));
    return () => {};
  }
  const listener = () => fn(abortReason(signal));
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
