// The package under a bundler (issue 13, defects 7 and 8): esbuild bundles
// the browser entry; the bundle loads and keeps its error names when minified.
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { JS_DIR, tempDir } from './helpers.mjs';

const BROWSER_ENTRY = path.join(JS_DIR, 'dist', 'esm', 'browser.js');

async function bundle(dir, options) {
  const outfile = path.join(dir, `bundle-${options.format}-${options.target || 'default'}${options.minify ? '-min' : ''}.mjs`);
  const result = await build({
    entryPoints: [BROWSER_ENTRY], bundle: true, platform: 'browser', outfile, logLevel: 'silent', write: true, ...options,
  });
  assert.deepEqual(result.errors, []);
  return outfile;
}

describe('minified bundles', () => {
  test('error names survive --minify', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const m = await import(pathToFileURL(await bundle(dir, { format: 'esm', minify: true })).href);
      await m.ready();
      assert.throws(() => m.jsonLoads('[1,]'), (e) => e.name === 'InvalidArgumentError' && e instanceof m.IpckitError);
      assert.throws(() => m.validateName(''), (e) => e.name === 'InvalidArgumentError');
      const names = ['IpckitError', 'InvalidArgumentError', 'NotFoundError', 'InUseError', 'TimeoutError',
        'PeerClosedError', 'TruncatedError', 'TooLargeError', 'CorruptError', 'UnsupportedVersionError',
        'OutOfRangeError', 'PermissionDeniedError', 'ClosedError', 'DataLossError', 'NotReadyError', 'RemoteError'];
      for (const name of names) {
        const err = new m[name]('x');
        assert.equal(err.name, name);
        assert.equal(String(err), `${name}: x`);
      }
    } finally {
      cleanup();
    }
  });
});
