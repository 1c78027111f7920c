// Bridge splices (spec/bridge.md, "A-IM: ipckit-splice"): a new version of a
// channel file sent as the bytes that changed plus a run of the version the
// reader already has. The rules are the C++ core's (cc/bridge/splice.h).
//
//   const s = computeSplice(oldBytes, newBytes);   // {at, from, to, body} or null
//   applySplice(oldBytes, s.at, s.from, s.to, s.body);  // === newBytes, byte for byte
import { core } from './core.js';
import { unwrap } from './errors.js';
import { toBytes } from './bytes.js';

// {at, from, to, body} such that new = body[0, at) + old[from, to) + body[at, ),
// or null when the versions share too little to be worth it.
export function computeSplice(oldBytes, newBytes) {
  return core().computeSplice(toBytes(oldBytes, 'old version'), toBytes(newBytes, 'new version'));
}

// The new version from the old one and a splice. CorruptError if the splice
// does not fit (a bridge bug, or a base that is not the one it was made for).
export function applySplice(oldBytes, at, from, to, body) {
  return unwrap(core().applySplice(toBytes(oldBytes, 'old version'), at, from, to, toBytes(body, 'splice body')));
}
