// A small page app as a user writes it: `import ... from 'ipckit'`, no
// bundler settings. tests/bundlers.test.mjs bundles it with each bundler and
// runs the result in Node and in headless Chromium; it reports what the WASM
// core did (to the parent frame in a page, on stdout elsewhere).
import * as ipckit from 'ipckit';
import {
  BridgeFileChannel, TimeoutError, composeChannelFile, composeMessage, decodeFrames, encodeFrame, isReady, jsonDumps,
  parseChannelFile, ready,
} from 'ipckit';

async function run() {
  const loadedAtStart = isReady();
  let early = null;
  try {
    jsonDumps(1);
  } catch (err) {
    early = err.name;
  }
  await ready();
  const text = composeMessage({ id: 'm1', timestamp: 7, type: 'event', method: 'tick', payload: { n: [1, 2.5] } });
  const [message] = parseChannelFile(composeChannelFile([text]));
  return {
    loadedAtStart,
    early,
    frame: Array.from(encodeFrame('hi')),
    payloads: decodeFrames(encodeFrame('bundled')).payloads.map((p) => new TextDecoder().decode(p)),
    message: [message.method, jsonDumps(message.payload)],
    bridge: typeof BridgeFileChannel,
    nodeOnly: Object.keys(ipckit).filter((k) => k === 'FileChannel' || k === 'IpcChannel'),
    errorName: new TimeoutError('x').name,
  };
}

function report(result) {
  if (typeof window !== 'undefined' && window.parent !== window) {
    window.parent.postMessage({ ipckitBundle: window.location.pathname, result }, '*');
  } else {
    console.log(`IPCKIT_RESULT ${JSON.stringify(result)}`);  // eslint-disable-line no-console
  }
}

run().then(report, (err) => report({ error: String((err && err.stack) || err) }));
