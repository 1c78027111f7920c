// Everything that runs anywhere (Node, pages, workers): the WASM core's
// frames, JSON, names and FileChannel format, the error types, and the
// FileChannel client of the HTTP bridge.
export * from './errors.js';
// The WASM core loads lazily: async APIs wait for it; call `await ready()`
// once before the synchronous ones (encodeFrame, jsonDumps, ...).
export { isReady, ready } from './core.js';
export {
  DEFAULT_MAX_PAYLOAD, FRAME_HEADER_SIZE, FrameDecoder, decodeFrames, encodeFrame, frameHeader,
} from './frame.js';
export {
  jsonCanonical, jsonDumps, jsonDumpsPretty, jsonFormatDouble, jsonLoads, jsonQuoteUtf8,
} from './json.js';
export { socketPathFor, validateName } from './names.js';
export { applySplice, computeSplice } from './splice.js';
export {
  BACKEND_TO_FRONTEND_FILE, CHANNEL_INFO_FILE, DEFAULT_MAX_FILE_BYTES, DEFAULT_RETENTION, FILE_CHANNEL_FORMAT_VERSION,
  ChannelFileWriter, FRONTEND_TO_BACKEND_FILE, Inbox, LOCK_FILE, MAX_CHANNEL_INFO_BYTES, appendToChannelText,
  composeChannelFile,
  composeChannelInfo, composeMessage, normalizeJson, parseChannelFile, parseMessage, scanChannelFile, validateChannelInfo,
} from './file_channel_format.js';

export { FileChannelEndpoint, FileChannelEvent } from './file_channel_endpoint.js';
export { BridgeFileChannel } from './bridge_file_channel.js';

// The package version and the spec's format version it implements.
export const VERSION = '0.2.0';
export const FORMAT_VERSION = 1;
