/**
 * The `alliance` command line. `bin/alliance.js` runs `runCli(process.argv.slice(2))`
 * and exits with its code; tests call it in-process with their own streams.
 * Exit codes and output rules: see output.ts.
 */
import '../polyfill.js'
import { Command, CommanderError } from 'commander'
import { registerAttest } from './attest.js'
import { registerCanonical } from './canonical.js'
import { registerConsole } from './console.js'
import { createContext, type Context } from './common.js'
import { registerDaemon } from './daemon.js'
import { EXIT, debugText, errorLine, exitCodeOf, processIO, type CliIO } from './output.js'
import { registerMatch } from './match.js'
import { registerOpinion } from './opinion.js'
import { registerPipeline } from './pipeline.js'
import { registerQuery } from './query.js'
import { registerReport } from './report.js'
import { registerRoster } from './roster.js'
import { registerService } from './service.js'
import { registerSetup } from './setup.js'
import { VERSION } from '../version.js'

export { EXIT, exitCodeOf } from './output.js'
export type { CliIO } from './output.js'

export function buildProgram (ctx: Context): Command {
  const program = new Command('alliance')
  program
    .description('Node of an anti-counterfeiting alliance: share keyed fingerprints of counterfeiters\' identifiers as signed attestations and keep the consensus blocklist.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { ctx.io.stdout.write(s) },
      writeErr: (s) => { ctx.io.stderr.write(s) },
      // commander's usage errors, folded into our one-line form
      outputError: (s, write) => { write(`alliance: ${s.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()}\n`) }
    })
    .showHelpAfterError(false)
    .addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 usage or invalid input, 3 no daemon running, 4 verification failed.\nEvery command takes --json for machine output.')
  registerSetup(program, ctx)
  registerRoster(program, ctx)
  registerDaemon(program, ctx)
  registerService(program, ctx)
  registerAttest(program, ctx)
  registerQuery(program, ctx)
  registerCanonical(program, ctx)
  registerOpinion(program, ctx)
  registerMatch(program, ctx)
  registerPipeline(program, ctx)
  registerReport(program, ctx)
  registerConsole(program, ctx)
  return program
}

/** Runs one command line; resolves with the process exit code. Never throws. */
export async function runCli (argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug')
  const ctx = createContext(io)
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' })
    return EXIT.ok
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; anything else commander refused is a usage error, already printed
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    io.stderr.write(errorLine(err) + '\n')
    if (debug) io.stderr.write(debugText(err))
    return exitCodeOf(err)
  }
}
