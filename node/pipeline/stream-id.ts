/** Redis stream ids ("<ms>-<seq>") compared as numbers, not strings. */
export function compareIds (a: string, b: string): number {
  const [am, as] = a.split('-')
  const [bm, bs] = b.split('-')
  const d = Number(am) - Number(bm)
  if (d !== 0) return d < 0 ? -1 : 1
  const e = Number(as ?? 0) - Number(bs ?? 0)
  return e < 0 ? -1 : e > 0 ? 1 : 0
}

/** The id right after `id` (an exclusive start for XRANGE). */
export function nextId (id: string): string {
  const [ms, seq] = id.split('-')
  return `${ms}-${Number(seq ?? 0) + 1}`
}
