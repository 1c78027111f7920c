// JSON error reports (issue 13, defect 12): a circular value is reported as
// circular (still too_large: its depth has no bound), not as a nesting
// depth limit; a deep acyclic value keeps the depth message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIST_ESM, importReady } from './helpers.mjs';

const { jsonDumps, jsonDumpsPretty, TooLargeError } = await importReady(DIST_ESM);

test('a circular object or array is TooLargeError saying circular', () => {
  const obj = { a: 1 };
  obj.child = { back: obj };
  const arr = [1];
  arr.push([arr]);
  for (const dump of [jsonDumps, jsonDumpsPretty]) {
    for (const v of [obj, arr]) {
      assert.throws(() => dump(v), (e) => e instanceof TooLargeError && /circular/.test(e.message));
    }
  }
});

test('a deep but acyclic value is still TooLargeError for its depth; a shared non-cyclic value is fine', () => {
  let deep = [];
  for (let i = 0; i < 1000; ++i) deep = [deep];
  assert.throws(() => jsonDumps(deep), (e) => e instanceof TooLargeError && /depth exceeds/.test(e.message));
  const shared = { x: 1 };
  assert.equal(jsonDumps({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
});
