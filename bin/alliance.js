#!/usr/bin/env node
// Launcher of the `alliance` CLI and daemon.
//
// It runs the compiled JavaScript in dist/ (`npm run build`; `npm install`
// builds it through the `prepare` script) when dist/ is at least as new as
// every TypeScript source of the node: ~0.6 s faster to start and ~60 MB
// smaller than compiling on the fly. Otherwise (a checkout edited since the
// last build, or no build) it runs the sources through tsx, so an edited
// checkout never runs stale code. ALLIANCE_RUNTIME=tsx|dist forces one.
//
// Either way the Promise.withResolvers polyfill libp2p needs on Node 20 is
// loaded first.
import { chosenRuntime } from './runtime.js'

const runtime = chosenRuntime()
let runCli
if (runtime === 'dist') {
  process.setSourceMapsEnabled(true) // stack traces name the TypeScript lines
  await import('../dist/node/polyfill.js')
  ;({ runCli } = await import('../dist/node/cli/index.js'))
} else if (runtime === 'tsx') {
  const { register } = await import('tsx/esm/api')
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
