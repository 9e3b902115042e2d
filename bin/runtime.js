// Whether the compiled JavaScript in dist/ may run: it is at least as new as
// every TypeScript source of the node (node/ and protocol/), or there are no
// sources at all (the installed package: `npm pack` ships dist/ only). Used
// by the launcher (bin/alliance.js) and by the benchmarks, which build first.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Written by `npm run build` after tsc has emitted dist/. */
export const BUILD_STAMP = `${ROOT}dist/.build-stamp`

/** Newest modification time of the .ts files under `dir`. */
function newestSource (dir) {
  let newest = 0
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${d.name}`
    if (d.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (d.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

export function distIsFresh () {
  let built
  try {
    built = statSync(BUILD_STAMP).mtimeMs
  } catch {
    return false
  }
  return built >= Math.max(newestSource(`${ROOT}node`), newestSource(`${ROOT}protocol`))
}

/** A checkout holds the TypeScript sources; the installed package holds only dist/. */
export function hasSources () {
  return existsSync(`${ROOT}node/cli/index.ts`)
}

/** 'dist' or 'tsx': ALLIANCE_RUNTIME when set, else dist when it is fresh or there are no sources to run. */
export function chosenRuntime () {
  return process.env.ALLIANCE_RUNTIME ?? (!hasSources() || distIsFresh() ? 'dist' : 'tsx')
}
