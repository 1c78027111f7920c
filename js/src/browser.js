// ipckit for pages and workers (no Node APIs): the portable core and the
// FileChannel client of the HTTP bridge (spec/bridge.md). Load it as an ES module
// with no bundler:
//
//   <script type="module">
//     import { BridgeFileChannel } from './node_modules/ipckit/dist/esm/browser.js';
//     const ch = await BridgeFileChannel.frontend('http://127.0.0.1:8765/?token=...');  // as the bridge printed it
//   </script>
export * from './common.js';
