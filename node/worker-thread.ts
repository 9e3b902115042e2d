/**
 * Starting a worker thread on one of the node's own modules, the same way
 * from the compiled `dist/` and from the TypeScript sources under tsx.
 *
 * Compiled: `new Worker(new URL('./x.js', caller))`. Under tsx (tests,
 * `npm run bench`, the CLI run from sources), Node 20 checks a worker entry's
 * extension before any loader hook runs, so
 * `new Worker(new URL('./x.ts', import.meta.url), { execArgv: ['--import', 'tsx'] })`
 * fails with ERR_UNKNOWN_FILE_EXTENSION (tsx issue #354). What works: an
 * eval'd bootstrap that registers tsx's ESM hooks in the worker and then
 * imports the `.ts` module (up to ~1.3 s to load a large module graph that
 * way). The match lanes, the guardian pool and the start-up id check all
 * start theirs here.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * Starts `./<name>.js` (or `./<name>.ts` when `caller`, the calling module's
 * `import.meta.url`, is a `.ts` file run by tsx) next to `caller`, with
 * `workerData`.
 */
export function spawnSiblingWorker (caller: string, name: string, workerData: unknown): Worker {
  if (caller.endsWith('.ts')) {
    const entry = new URL(`./${name}.ts`, caller).href
    const boot = `import(${JSON.stringify(tsxEsmApi(caller))}).then(m => { m.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(boot, { eval: true, execArgv: [], workerData })
  }
  return new Worker(new URL(`./${name}.js`, caller), { workerData })
}

/**
 * URL of tsx's ESM API (`register`). Resolved through tsx's package.json:
 * import.meta.resolve is missing where tsx compiled the caller to CommonJS
 * (mocha), and the CommonJS build's register() cannot find its own hooks.
 */
export function tsxEsmApi (from: string): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json')
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }
  const rel = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs'
  return new URL(rel, pathToFileURL(pkgPath)).href
}
