// Import cycles are refused (ARCHITECTURE.md "Tooling"). Builds the import graph of the app's
// TypeScript (shared/, electron/, renderer/) with the TypeScript compiler's own module resolution,
// `import type` included (a type-only cycle is still two modules that cannot be read apart), and
// prints every strongly connected component of more than one file. Exit 1 if there is one.
// Usage: node --import tsx scripts/check-cycles.ts        (run by `npm run lint`)
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOTS = ['shared', 'electron', 'renderer/src'];

/** Cycles being removed right now, each with who removes it. Empty this list; never grow it. */
export const KNOWN_CYCLES: string[][] = [];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** file -> files it imports (only files inside the roots), paths relative to `cwd`. */
export function importGraph(cwd = process.cwd(), roots = ROOTS): Map<string, string[]> {
  const { config } = ts.readConfigFile(join(cwd, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, cwd);
  const files = roots.flatMap((r) => walk(resolve(cwd, r)));
  const inside = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = new Set<string>();
    for (const imp of ts.preProcessFile(readFileSync(f, 'utf8'), true, true).importedFiles) {
      const r = ts.resolveModuleName(imp.fileName, f, options, ts.sys).resolvedModule;
      if (r && inside.has(resolve(r.resolvedFileName))) deps.add(relative(cwd, resolve(r.resolvedFileName)));
    }
    graph.set(relative(cwd, f), [...deps].sort());
  }
  return graph;
}

/** Strongly connected components with more than one node, or a node importing itself (Tarjan). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  const known = new Set(KNOWN_CYCLES.map((c) => [...c].sort().join(' <-> ')));
  const cycles = findCycles(graph).filter((c) => !known.has(c.join(' <-> ')));
  for (const c of cycles) {
    console.error(`import cycle: ${c.join(' <-> ')}`);
    for (const f of c)
      console.error(
        `  ${f} imports ${graph
          .get(f)!
          .filter((d) => c.includes(d))
          .join(', ')}`,
      );
  }
  if (cycles.length) process.exit(1);
  console.log(`no import cycles in ${graph.size} files (${ROOTS.join(', ')})`);
}
