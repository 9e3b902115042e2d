/** Durations written by people: `90d`, `12h`, `30m`, `45s`, `2w`, or sums like `1d12h`. */
import { InvalidDurationError } from './errors.js'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const WHOLE = /^(?:\d{1,9}[smhdw])+$/
const PART = /(\d+)([smhdw])/g

/** Milliseconds of `text`; throws InvalidDurationError for anything else, and for zero. */
export function parseDuration (text: string): number {
  const s = text.trim().toLowerCase()
  if (!WHOLE.test(s)) throw new InvalidDurationError(text)
  let ms = 0
  for (const [, n, unit] of s.matchAll(PART)) ms += Number(n) * UNIT_MS[unit]
  if (ms <= 0 || !Number.isSafeInteger(ms)) throw new InvalidDurationError(text)
  return ms
}
