/**
 * The package's version, read from its package.json: the same file whether
 * this runs from the sources (node/version.ts) or compiled (dist/node/version.js,
 * one level deeper), in a checkout or in the installed package.
 */
import { readFileSync } from 'node:fs'

function findVersion (): string {
  for (let up = new URL('../', import.meta.url), i = 0; i < 4; up = new URL('../', up), i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', up), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'alliance-node' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return 'unknown'
}

export const VERSION = findVersion()
