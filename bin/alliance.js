#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx (no build step), after the
// Promise.withResolvers polyfill that libp2p needs on Node 20.
import { register } from 'tsx/esm/api'

register()
await import('../node/polyfill.ts')
const { runCli } = await import('../node/cli/index.ts')
const code = await runCli(process.argv.slice(2))
// stdout/stderr writes to pipes and files are synchronous on Linux, so exiting now loses nothing
process.exit(code)
