/**
 * `alliance canonical`: what the node makes of a raw identifier, before any
 * statement about it: its canonical form (computed here, no daemon), which
 * parts are case-folded, and with --node the fingerprint the alliance uses
 * (from the local daemon: only members hold the key; nothing leaves this
 * machine).
 */
import { Option, type Command } from 'commander'
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max'
import { canonicalize } from '../../protocol/canonical/index.js'
import { CASE_NOTES } from '../../protocol/canonical/case-notes.js'
import { KINDS, type Kind } from '../../protocol/kinds.js'
import { countryProblem, readConfig } from '../home.js'
import { leaf, type Context } from './common.js'
import { result, table, type CommonOptions } from './output.js'

interface CanonicalOptions extends CommonOptions {
  kind: Kind
  value: string
  country?: string
  node?: string
}

export function registerCanonical (program: Command, ctx: Context): void {
  leaf(program.command('canonical')
    .summary('the canonical form of a raw identifier, which parts are case-folded, and (with --node) its fingerprint')
    .addOption(new Option('--kind <kind>', 'identifier kind').choices(KINDS).makeOptionMandatory())
    .requiredOption('--value <raw>', 'the raw identifier')
    .option('--country <CC>', 'country of a phone number written without + (default: the --node\'s)')
    .option('--node <dir>', 'also ask this node\'s running daemon for the fingerprint and its status'))
    .action(async (opts: CanonicalOptions) => {
      let country = opts.country?.toUpperCase()
      if (country === undefined && opts.node !== undefined) country = (await readConfig(opts.node)).defaultCountry
      if (country !== undefined && !isSupportedCountry(country)) ctx.usage(`--country ${countryProblem(country)}`)
      // InvalidIdentifierError (exit 2) names why, never the value
      const canonical = canonicalize(opts.kind, opts.value, country !== undefined ? { defaultCountry: country as CountryCode } : {})
      let fingerprint: { fingerprint: string, status: string } | undefined
      if (opts.node !== undefined) {
        const explained = await (await ctx.client(opts.node)).explain({ kind: opts.kind, value: opts.value })
        fingerprint = { fingerprint: explained.fingerprint, status: explained.status }
      }
      const rows: Array<[string, string]> = [['kind', opts.kind], ['canonical', canonical], ['case', CASE_NOTES[opts.kind]]]
      if (fingerprint !== undefined) rows.push(['fingerprint', fingerprint.fingerprint], ['status', fingerprint.status])
      else rows.push(['fingerprint', 'give --node <dir> (only members hold the key)'])
      await result(ctx.io, opts, () => table(rows, ''), { kind: opts.kind, canonical, case: CASE_NOTES[opts.kind], ...(fingerprint ?? {}) })
    })
}
