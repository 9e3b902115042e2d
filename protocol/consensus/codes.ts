/**
 * How the index codes a statement's fields in its slots (store.ts): stance,
 * kind and source as small integers, and author keys as Map keys. Apart from
 * index.ts because the image check (image.ts) and the explanations
 * (explain.ts) read the same codes back.
 */
import { KINDS } from '../kinds.js'
import { SOURCES } from './statement.js'

export const POSITIVE = 0
export const NEGATIVE = 1
export const NEUTRAL = 2
export const STANCE_CODE = { positive: POSITIVE, negative: NEGATIVE, neutral: NEUTRAL } as const
export const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]))
export const SOURCE_CODE = new Map<string, number>(SOURCES.map((s, i) => [s, i]))

/** A Map key for author key bytes (one `String.fromCharCode` call: the fastest key measured in store.ts). */
export function keyString (key: Uint8Array): string {
  return String.fromCharCode.apply(null, key as unknown as number[])
}
