/**
 * The alliance's audit of guardian evaluations: every toprf guardian
 * publishes, as signed entries in its own log, how many blinded elements it
 * evaluated for each org on each UTC day (cumulative within the day; the
 * latest entry wins and counts never decrease). Every node folds those
 * entries into this ledger at start-up replay and as they arrive, so any
 * member can see who evaluated how much (`alliance quota`, GET /v1/quota).
 */
import type { GuardianCounts } from '../../protocol/types.js'
import type { QuotaDayView } from '../service.js'

/** One UTC day of counts (node/service.ts QuotaDayView). */
export type QuotaDay = QuotaDayView

export const DAY_MS = 86_400_000

export function utcDay (ms: number): number { return Math.floor(ms / DAY_MS) }
export function dayDate (day: number): string { return new Date(day * DAY_MS).toISOString().slice(0, 10) }

export class GuardianCountsLedger {
  /** `${epoch}/${day}` → guardian org → counts. */
  readonly #days = new Map<string, { epoch: number, day: number, guardians: Map<string, Map<string, number>> }>()
  #entries = 0

  get entries (): number { return this.#entries }

  add (body: GuardianCounts, guardianOrg: string): void {
    this.#entries++
    const k = `${body.epoch}/${body.day}`
    let d = this.#days.get(k)
    if (d === undefined) { d = { epoch: body.epoch, day: body.day, guardians: new Map() }; this.#days.set(k, d) }
    let g = d.guardians.get(guardianOrg)
    if (g === undefined) { g = new Map(); d.guardians.set(guardianOrg, g) }
    for (const c of body.counts) g.set(c.org, Math.max(g.get(c.org) ?? 0, c.evaluations))
  }

  /** Days newest first, at most `limit`; `org` keeps only that org's counts. */
  days (opts: { limit?: number, org?: string } = {}): QuotaDay[] {
    const out: QuotaDay[] = []
    for (const d of [...this.#days.values()].sort((a, b) => b.day - a.day || b.epoch - a.epoch).slice(0, opts.limit ?? 31)) {
      const byGuardian: Record<string, Record<string, number>> = {}
      const byOrg: Record<string, number> = {}
      for (const [gOrg, counts] of [...d.guardians.entries()].sort(([a], [b]) => a < b ? -1 : 1)) {
        const row: Record<string, number> = {}
        for (const [org, n] of [...counts.entries()].sort(([a], [b]) => a < b ? -1 : 1)) {
          if (opts.org !== undefined && org !== opts.org) continue
          row[org] = n
          byOrg[org] = Math.max(byOrg[org] ?? 0, n)
        }
        byGuardian[gOrg] = row
      }
      out.push({ epoch: d.epoch, day: d.day, date: dayDate(d.day), byGuardian, byOrg })
    }
    return out
  }
}
