// IpcChannel frames (spec/channel_framing.md) through the WASM core: a u32
// little-endian payload length, then the payload.
//
//   const bytes = encodeFrame(new TextEncoder().encode('hi'));  // 02 00 00 00 68 69
//   const decoder = new FrameDecoder();
//   decoder.push(bytes);
//   decoder.next();  // Uint8Array [104, 105]
import { core } from './core.js';
import { check, unwrap, makeError } from './errors.js';
import { toBytes, intOption } from './bytes.js';
import { CORE_CONSTANTS as constants } from './core_constants.js';

export const FRAME_HEADER_SIZE = constants.frameHeaderSize;
export const DEFAULT_MAX_PAYLOAD = constants.frameDefaultMaxPayload;
const U32_MAX = 0xffffffff;

function maxPayloadOf(options) {
  return intOption(options && options.maxPayload, 'maxPayload', DEFAULT_MAX_PAYLOAD, U32_MAX);
}

// Header and payload in one new array. TooLargeError over maxPayload.
export function encodeFrame(payload, options = {}) {
  return unwrap(core().encodeFrame(toBytes(payload, 'payload'), maxPayloadOf(options)));
}

// Just the 4-byte header for a payload of `size` bytes (after the limit
// check), so a sender can write header and payload without joining them.
export function frameHeader(size, options = {}) {
  return unwrap(core().frameHeader(size, maxPayloadOf(options)));
}

// Decodes a complete byte string: {payloads, error}; error (an IpckitError:
// TruncatedError or TooLargeError) is set when decoding stopped early.
export function decodeFrames(bytes, options = {}) {
  const r = core().decodeFrames(toBytes(bytes, 'bytes'), maxPayloadOf(options));
  return { payloads: r.payloads, error: r.error === undefined ? null : makeError(r.error, r.message) };
}

// Splits a byte stream into payloads. A header over maxPayload puts it into
// a sticky TooLargeError state before any memory for that payload exists.
// Holds WASM memory: call dispose() when done (IpcChannel does).
export class FrameDecoder {
  #decoder;

  constructor(options = {}) {
    this.#decoder = new (core().FrameDecoder)(maxPayloadOf(options));
  }

  // Appends bytes (copied straight into the decoder's buffer). Throws the
  // sticky error if the stream is already unusable.
  push(chunk) {
    const bytes = toBytes(chunk, 'chunk');
    const d = this.#live();
    let offset = 0;
    while (offset < bytes.length) {
      const room = d.prepareInput();  // a view of WASM memory: fill it now
      if (room.length === 0) break;
      const n = Math.min(room.length, bytes.length - offset);
      room.set(bytes.subarray(offset, offset + n));
      check(d.commitInput(n));
      offset += n;
    }
    check(d.status());
  }

  // The next complete payload (a copy), or null when none is complete yet.
  // Once the frames before an over-limit header are taken, throws the sticky
  // TooLargeError instead.
  next() {
    const d = this.#live();
    const frame = d.nextFrame();
    if (frame === null) check(d.status());
    return frame;
  }

  // For when the input has ended: throws TruncatedError if it ended inside a
  // frame, or the sticky error; returns if it ended at a frame boundary.
  finish() {
    check(this.#live().finish());
  }

  // The sticky error, or null.
  get error() {
    const s = this.#live().status();
    return s === null ? null : makeError(s.error, s.message);
  }
  get bufferedBytes() { return this.#live().bufferedBytes(); }
  get atFrameBoundary() { return this.#live().atFrameBoundary(); }
  get maxPayload() { return this.#live().maxPayload(); }

  dispose() {
    if (this.#decoder) {
      this.#decoder.delete();
      this.#decoder = null;
    }
  }

  #live() {
    if (!this.#decoder) throw makeError('closed', 'FrameDecoder was disposed');
    return this.#decoder;
  }
}
