/** `alliance init` and `alliance card`: create a node directory, print its member card. */
import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { ROLES } from '../../protocol/kinds.js'
import { cardAddrs, CardAddressError } from '../card-addrs.js'
import { isSupportedCountry } from 'libphonenumber-js/max'
import { countryProblem, initNodeDir, memberCard, writeJson } from '../home.js'
import { loadNodeKeys } from '../keys.js'
import { collect, intInRange, leaf, type Context } from './common.js'
import { result, table, write, type CommonOptions } from './output.js'

interface InitOptions extends CommonOptions {
  org: string
  role: string
  name?: string
  listen: string[]
  announce: string[]
  apiPort?: number
  country?: string
}

interface CardOptions extends CommonOptions {
  out?: string
}

export function registerSetup (program: Command, ctx: Context): void {
  leaf(program.command('init')
    .summary('create a node directory: keys (0600), config, listen addresses')
    .description('Create a node directory with fresh keys (mode 0600) and a config. A --listen address with port 0 gets a free port now, so the member card carries dialable addresses.')
    .argument('<dir>', 'node directory to create')
    .requiredOption('--org <org-id>', 'your organisation id (lower-case letters, digits, . and -)')
    .addOption(new Option('--role <role>', 'your organisation\'s role').choices(ROLES).makeOptionMandatory())
    .option('--name <text>', 'display name of the organisation (default: the org id)')
    .option('--listen <multiaddr>', 'libp2p listen address, repeatable (default /ip4/127.0.0.1/tcp/0)', collect, [])
    .option('--announce <multiaddr>', 'address other members dial, repeatable (default: the listen addresses)', collect, [])
    .option('--api-port <n>', 'port of the local HTTP API (default: a free port at start)', intInRange('--api-port', 0, 65535))
    .option('--country <CC>', 'country (ISO 3166 alpha-2) of phone numbers written without + in your files')
    .option('--no-vault', 'do not keep attested values in the local encrypted vault; after a key rotation, re-submit them with attest --file'))
    .action(async (dir: string, opts: InitOptions & { vault: boolean }) => {
      if (opts.country !== undefined && !/^[A-Za-z]{2}$/.test(opts.country)) ctx.usage(`--country ${JSON.stringify(opts.country)} is not a two-letter country code (e.g. GB, DE)`)
      if (opts.country !== undefined && !isSupportedCountry(opts.country.toUpperCase())) ctx.usage(`--country ${countryProblem(opts.country)}`)
      const config = await initNodeDir(dir, {
        org: opts.org,
        role: opts.role,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
        ...(opts.announce.length > 0 ? { announce: opts.announce } : {}),
        ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
        ...(opts.country !== undefined ? { defaultCountry: opts.country } : {}),
        vault: opts.vault
      })
      const keys = await loadNodeKeys(dir)
      const peerId = keys.peerId.toString()
      // what the card will carry: said now, while the options are still on the screen
      let card: string[] = []
      try {
        const chosen = cardAddrs(config)
        card = chosen.addrs
        for (const w of chosen.warnings) await write(ctx.io.stderr, `alliance: warning: ${w}\n`)
      } catch (err) {
        if (!(err instanceof CardAddressError)) throw err
        await write(ctx.io.stderr, `alliance: warning: ${err.message}\n`)
      }
      await result(ctx.io, opts, () => [
        `initialised node ${config.org} (${config.role}) in ${resolve(dir)}`,
        table([['peer id', peerId], ['listen', config.listen.join(' ')], ['card', card.length > 0 ? card.join(' ') : '<none: set --announce>'], ['api', `${config.api.host}:${config.api.port === 0 ? '<free port at start>' : config.api.port}`], ['vault', config.vault ? 'on (attested values kept encrypted here, for key rotations)' : 'off (--no-vault)']]),
        `next: alliance card ${dir} --out ${config.org}.card.json, and send the card to whoever builds the roster`
      ].join('\n'), { dir: resolve(dir), org: config.org, role: config.role, name: config.name, peerId, listen: config.listen, announce: config.announce, cardAddrs: card, api: config.api, vault: config.vault })
    })

  leaf(program.command('card')
    .summary('print this node\'s member card (JSON): org, role, public keys, peer id, addresses')
    .argument('<dir>', 'node directory')
    .option('--out <file>', 'write the card to a file instead of stdout'))
    .action(async (dir: string, opts: CardOptions) => {
      const card = await memberCard(dir, why => { ctx.io.stderr.write(`alliance: warning: ${why}\n`) })
      if (opts.out !== undefined) {
        await writeJson(opts.out, card)
        await result(ctx.io, opts, `member card of ${card.org} written to ${opts.out}`, { org: card.org, out: resolve(opts.out) })
        return
      }
      // The card is JSON either way: indented for people, one line with --json.
      await result(ctx.io, opts, JSON.stringify(card, null, 2), card)
    })
}
