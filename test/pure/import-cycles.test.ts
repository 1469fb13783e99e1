/** scripts/check-cycles.ts (run by `npm run lint`) finds import cycles, and the app has none it does not know of. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCycles, importGraph, KNOWN_CYCLES } from '../../scripts/check-cycles';

test('the cycle finder reports a two-file cycle, a longer cycle and a self-import, and nothing on a tree', () => {
  const g = new Map<string, string[]>([
    ['a', ['b']],
    ['b', ['a', 'c']],
    ['c', ['d']],
    ['d', ['e']],
    ['e', ['c']],
    ['f', ['f']],
    ['g', ['a']],
  ]);
  assert.deepEqual(findCycles(g), [['a', 'b'], ['c', 'd', 'e'], ['f']]);
  assert.deepEqual(
    findCycles(
      new Map([
        ['x', ['y', 'z']],
        ['y', ['z']],
        ['z', []],
      ]),
    ),
    [],
  );
});

test('the import graph of shared/, electron/ and renderer/ has no cycle beyond the known list', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `only ${graph.size} files found`);
  // The graph resolves real imports: the CLI entry reaches shared/errors.ts through its imports.
  assert.ok(graph.get('electron/cli/main.ts')?.includes('shared/errors.ts'));
  const known = new Set(KNOWN_CYCLES.map((c) => [...c].sort().join(' <-> ')));
  const unknown = findCycles(graph).filter((c) => !known.has(c.join(' <-> ')));
  assert.deepEqual(unknown, []);
});
