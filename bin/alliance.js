#!/usr/bin/env node
// Launcher of the `alliance` CLI and daemon.
//
// It runs the compiled JavaScript in dist/. The installed package
// (`npm pack`, then `npm install -g ./alliance-node-<version>.tgz`) ships
// only that, built when it was packed: nothing is compiled on the server and
// TypeScript and tsx are not needed there. In a checkout, `npm install`
// builds dist/ (the `prepare` script); when a source file is newer than the
// last build the launcher runs the sources through tsx instead, so an edited
// checkout never runs stale code. ALLIANCE_RUNTIME=tsx|dist forces one.
//
// Either way the Promise.withResolvers polyfill libp2p needs on Node 20 is
// loaded first.
import { existsSync } from 'node:fs'
import { chosenRuntime } from './runtime.js'

const runtime = chosenRuntime()
let runCli
if (runtime === 'dist') {
  if (!existsSync(new URL('../dist/node/cli/index.js', import.meta.url))) {
    process.stderr.write('alliance: the compiled node is missing (dist/); in a checkout run npm run build\n')
    process.exit(1)
  }
  process.setSourceMapsEnabled(true) // stack traces name the TypeScript lines
  await import('../dist/node/polyfill.js')
  ;({ runCli } = await import('../dist/node/cli/index.js'))
} else if (runtime === 'tsx') {
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write('alliance: ALLIANCE_RUNTIME=tsx needs a checkout with its dev dependencies (npm install); the installed package runs dist/\n')
    process.exit(1)
  }
  register()
  await import('../node/polyfill.ts')
  ;({ runCli } = await import('../node/cli/index.ts'))
} else {
  process.stderr.write(`alliance: ALLIANCE_RUNTIME must be tsx or dist, not ${runtime}\n`)
  process.exit(2)
}
const code = await runCli(process.argv.slice(2))
// stdout/stderr writes to pipes and files are synchronous on Linux, so exiting now loses nothing
process.exit(code)
