// .channel_info at a Node open (spec/file_channel.md, ".channel_info"): one of
// an older format, as ipckit 0.1.12 writes it or with format_version 1, is
// raised to format 2 keeping "created"; a newer format is refused with
// UnsupportedVersionError and left as it is, and the C++ core refuses the same
// file with the same class.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIST_ESM, importReady, startPeer, tempDir, within } from './helpers.mjs';

const ipckit = await importReady(DIST_ESM);
const { FileChannel, UnsupportedVersionError } = ipckit;

// Exactly what ipckit 0.1.12's FileChannel.backend() writes (mode 0644).
const IPCKIT01_INFO = '{\n  "created": 1796353012435,\n  "protocol": "file-ipc",\n  "version": "1.0"\n}';
const RAISED = '{"version":"1.0","protocol":"file-ipc","format_version":2,"created":1796353012435}\n';

// A channel directory holding `info` as its .channel_info (mode `mode`).
function channelWith(info, mode = 0o600) {
  const tmp = tempDir();
  const dir = path.join(tmp.dir, 'ch');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(path.join(dir, '.channel_info'), info, { mode });
  return { ...tmp, dir, info: path.join(dir, '.channel_info') };
}

describe('.channel_info at a Node open', () => {
  for (const side of ['frontend', 'backend']) {
    test(`ipckit 0.1.12's .channel_info is raised to format 2 by a ${side} open, keeping created`, async () => {
      const t = channelWith(IPCKIT01_INFO, 0o644);
      try {
        const ch = await FileChannel[side](t.dir);
        await ch.close();
        assert.equal(readFileSync(t.info, 'utf8'), RAISED);
        // Replaced as every write replaces a file: its mode limited to 0600.
        assert.equal(statSync(t.info).mode & 0o777, 0o600);
      } finally {
        t.cleanup();
      }
    });
  }

  test('a format 1 .channel_info in 0.1.12\'s layout is raised; one with no created gets the open\'s time', async () => {
    const t = channelWith(IPCKIT01_INFO.replace('"created"', '"format_version": 1,\n  "created"'));
    try {
      await (await FileChannel.frontend(t.dir)).close();
      assert.equal(readFileSync(t.info, 'utf8'), RAISED);
      writeFileSync(t.info, '{"version":"1.0","protocol":"file-ipc","format_version":1}');
      const before = Date.now();
      await (await FileChannel.frontend(t.dir)).close();
      const raised = JSON.parse(readFileSync(t.info, 'utf8'));
      assert.equal(raised.format_version, 2);
      assert.ok(raised.created >= before && raised.created <= Date.now(), `created ${raised.created}`);
    } finally {
      t.cleanup();
    }
  });

  test('a format 2 .channel_info is left as it is', async () => {
    const current = '{"version":"1.0","protocol":"file-ipc","format_version":2,"created":7}\n';
    const t = channelWith(current);
    try {
      const inode = statSync(t.info).ino;
      await (await FileChannel.frontend(t.dir)).close();
      assert.equal(readFileSync(t.info, 'utf8'), current);
      assert.equal(statSync(t.info).ino, inode, 'not rewritten');
    } finally {
      t.cleanup();
    }
  });

  test('a newer format is refused (UnsupportedVersionError naming the file) and left alone, as C++ refuses it', async () => {
    const newer = '{"version":"1.0","protocol":"file-ipc","format_version":3,"created":7}\n';
    const t = channelWith(newer);
    try {
      await assert.rejects(FileChannel.frontend(t.dir), (err) => {
        assert.ok(err instanceof UnsupportedVersionError, `${err.name}: ${err.message}`);
        assert.ok(err.message.includes('format_version 3'), err.message);
        assert.ok(err.message.includes(t.info), err.message);
        return true;
      });
      assert.equal(readFileSync(t.info, 'utf8'), newer);
      const cxx = await startPeer(['file_backend', t.dir], { ready: false });
      assert.equal(await within(20000, cxx.exited, 'the C++ backend'), 2, cxx.stderr);
      assert.ok(cxx.stderr.includes('[unsupported_version]') && cxx.stderr.includes('format_version 3'), cxx.stderr);
      assert.equal(readFileSync(t.info, 'utf8'), newer);
    } finally {
      t.cleanup();
    }
  });
});
