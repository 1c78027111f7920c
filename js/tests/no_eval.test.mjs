// The core runs without eval or new Function (issue 13, defect 6): a page
// under a CSP without 'unsafe-eval' forbids them, as does Node with
// --disallow-code-generation-from-strings (the same V8 switch), used here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIST_CJS, DIST_ESM, runNodeModule } from './helpers.mjs';

test('the ESM and CommonJS builds work with code generation from strings disallowed', async () => {
  const { code, out } = await runNodeModule(`
    import { createRequire } from 'node:module';
    let evalBlocked = false;
    try { new Function('return 1'); } catch { evalBlocked = true; }
    for (const m of [await import(${JSON.stringify(DIST_ESM)}), createRequire(import.meta.url)(${JSON.stringify(DIST_CJS)})]) {
      await m.ready();
      const d = new m.FrameDecoder();
      d.push(m.encodeFrame('hi'));
      console.log(JSON.stringify([evalBlocked, m.jsonDumps({ a: [1, 2.5] }), new TextDecoder().decode(d.next())]));
      d.dispose();
    }
  `, ['--disallow-code-generation-from-strings']);
  assert.equal(code, 0, out);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, [[true, '{"a":[1,2.5]}', 'hi'], [true, '{"a":[1,2.5]}', 'hi']]);
});
