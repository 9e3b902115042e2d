/** Small byte helpers shared by protocol/. No allocation where avoidable. */
import { timingSafeEqual } from 'node:crypto'

/**
 * Lower-case hex. Node's native encoder makes one flat string: a loop of
 * concatenations makes a chain of 33 strings for a 32-byte key, which a Map
 * or Set lookup then flattens again (issue 15: ~10% of a catch-up's main
 * thread went to hex keys of fingerprints and authors).
 */
export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/i
export function fromHex (s: string): Uint8Array {
  if (!HEX_RE.test(s)) throw new TypeError('not a hex string of whole bytes')
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** Equality of public values (ids, keys). Not for secrets. */
export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Constant-time equality for secrets and MACs (length is not secret). */
export function secretEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}

/** Lexicographic order of byte strings: the tie-breaker everywhere ids are ordered. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

const enc = new TextEncoder()
export function utf8 (s: string): Uint8Array { return enc.encode(s) }
