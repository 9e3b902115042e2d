/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts.
 * Every benchmark prints a readable report and ends with one line
 * `RESULT {json}`. Without a name it lists what exists.
 */
import '../node/polyfill.js'
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const names = readdirSync(dir).filter(f => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_')).map(f => f.slice(0, -3)).sort()
const [name, ...args] = process.argv.slice(2)
if (name === undefined || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${names.join(', ')}\n`)
  process.exit(name === undefined ? 0 : 2)
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
