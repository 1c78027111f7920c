// ipckit for Node (and Electron's main/preload side): the portable core plus
// the Node transports, FileChannel (files + lock + fs.watch) and IpcChannel
// (Unix-domain sockets), and the HTTP bridge server for pages (BRIDGE.md).
//
//   import { FileChannel, IpcChannel, jsonDumps } from 'ipckit';
//   const ch = await FileChannel.frontend('./ipc_channel');
export * from './common.js';
export { FileChannel } from './node/file_channel.js';
export { IpcChannel } from './node/ipc_channel.js';
export { BRIDGE_VERSION, serveBridge } from './node/bridge_server.js';
