/**
 * The package's root and version, from its package.json: found the same way
 * whether this runs from the sources (node/version.ts) or compiled
 * (dist/node/version.js, one level deeper), in a checkout or in the
 * installed package.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

function findPackage (): { root: string, version: string } {
  for (let up = new URL('../', import.meta.url), i = 0; i < 4; up = new URL('../', up), i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', up), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'alliance-node' && typeof pkg.version === 'string') return { root: fileURLToPath(up), version: pkg.version }
    } catch {}
  }
  return { root: fileURLToPath(new URL('../', import.meta.url)), version: 'unknown' }
}

const found = findPackage()
export const VERSION = found.version
/** The package's directory (ends with a slash). */
export const PACKAGE_ROOT = found.root
/** The `alliance` launcher, to start a detached daemon with. */
export const LAUNCHER = `${found.root}bin/alliance.js`
