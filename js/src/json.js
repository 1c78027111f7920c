// ipckit's JSON functions (spec/json.md) over the C++ core's reader and
// writers: the same bytes as json_dumps/json_dumps_pretty/json_loads of the
// Python package and the C++ core.
//
//   jsonDumps({ a: [1, 2.5] });     // '{"a":[1,2.5]}'
//   jsonLoads('{"big": 18446744073709551615}');  // { big: 18446744073709551615n }
//
// JS has one number type, so: an integral number within +-(2^53 - 1) is
// written as an integer ("1"), any other finite number as a double in the
// spec's float form ("1e300", "0.5", "-0.0"); BigInt as an integer (int64 or
// uint64 range). Reading, integers beyond 2^53 become BigInt so no digit is
// lost. NaN/Infinity and lone surrogates are InvalidArgumentError; like
// JSON.stringify, undefined/functions/symbols are skipped in objects, null in
// arrays, and toJSON() is honoured.
import { core } from './core.js';
import { TooLargeError, unwrap } from './errors.js';
import { toBytes } from './bytes.js';

export function jsonDumps(value) {
  return dumps(value, false);
}

export function jsonDumpsPretty(value) {
  return dumps(value, true);
}

// The core stops a cycle at its depth limit; only then is the value walked
// here, to say "circular" instead of "nesting depth".
function dumps(value, pretty) {
  const result = core().jsonDumps(value, pretty);
  if (result.error === 'too_large' && isCircular(value, [])) {
    throw new TooLargeError('a circular structure cannot be written as JSON (its nesting depth has no bound)');
  }
  return unwrap(result);
}

function isCircular(value, ancestors) {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.includes(value)) return true;
  ancestors.push(value);
  const found = Object.values(value).some((v) => isCircular(v, ancestors));
  ancestors.pop();
  return found;
}

// `text`: a string, or UTF-8 bytes (validated as such).
export function jsonLoads(text) {
  return unwrap(core().jsonLoads(toBytes(text, 'JSON text')));
}

// JSON text re-written in ipckit's canonical form (compact, or pretty with
// {pretty: true}), keeping what JS values cannot: 1.0 vs 1, big integers.
export function jsonCanonical(text, options = {}) {
  return unwrap(core().jsonCanonical(toBytes(text, 'JSON text'), Boolean(options.pretty)));
}

// The JSON text ipckit writes for the double `x` (as a float: "1.0").
export function jsonFormatDouble(x) {
  return unwrap(core().jsonFormatDouble(Number(x)));
}

// The JSON string literal for UTF-8 bytes; InvalidArgumentError if they are
// not UTF-8.
export function jsonQuoteUtf8(bytes) {
  return unwrap(core().jsonQuoteUtf8(toBytes(bytes, 'bytes')));
}
