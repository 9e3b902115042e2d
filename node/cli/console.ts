/**
 * `alliance console <dir>`: a one-time login link to the web console the
 * running daemon serves on its loopback API address (node/console). The
 * link works once and for a few minutes; `--open` hands it to the desktop's
 * browser ($BROWSER, else xdg-open / open).
 */
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { leaf, type Context } from './common.js'
import { result, write, type CommonOptions } from './output.js'

interface ConsoleOptions extends CommonOptions {
  open?: boolean
}

/** Starts the user's browser on `url`, detached; resolves with the error if it could not start. */
async function openInBrowser (url: string): Promise<Error | undefined> {
  const cmd = process.env.BROWSER ?? (process.platform === 'darwin' ? 'open' : 'xdg-open')
  return await new Promise(resolve => {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' })
    child.once('error', resolve)
    child.once('spawn', () => { child.unref(); resolve(undefined) })
  })
}

export function registerConsole (program: Command, ctx: Context): void {
  leaf(program.command('console')
    .summary('print a one-time login link to the web console of the running node')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .option('--open', 'open the link in the desktop\'s browser ($BROWSER, else xdg-open)'))
    .action(async (dir: string, opts: ConsoleOptions) => {
      const client = await ctx.client(dir)
      const link = await client.request('consoleLink') as { url: string, expiresAt: string }
      await result(ctx.io, opts, `${link.url}\nworks once, until ${link.expiresAt}`, link)
      if (opts.open === true) {
        const err = await openInBrowser(link.url)
        if (err !== undefined) await write(ctx.io.stderr, `alliance: could not start a browser (${(err as NodeJS.ErrnoException).code ?? err.name}); open the link above yourself\n`)
      }
    })
}
