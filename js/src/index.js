// ipckit for Node (and Electron's main/preload side): the portable core plus
// the Node transports, FileChannel (files + lock + fs.watch) and IpcChannel
// (Unix-domain sockets). Pages reach a channel through the bridge a Python or
// C++ backend serves (spec/bridge.md); there is none in this package.
//
//   import { FileChannel, IpcChannel, jsonDumps } from 'ipckit';
//   const ch = await FileChannel.frontend('./ipc_channel');
export * from './common.js';
export { FileChannel } from './node/file_channel.js';
export { IpcChannel, IpcServer } from './node/ipc_channel.js';
