/** Byte-level mutations of valid messages, for fuzzing decoders and handlers. */
import fc from 'fast-check'

export type Mutation =
  | { op: 'flip', at: number, bit: number }
  | { op: 'set', at: number, value: number }
  | { op: 'insert', at: number, bytes: Uint8Array }
  | { op: 'delete', at: number, count: number }
  | { op: 'truncate', at: number }
  | { op: 'duplicate', at: number, count: number }

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) })
)

export function applyMutation (input: Uint8Array, m: Mutation): Uint8Array {
  // a Buffer's slice() is a view, not a copy: work on a plain Uint8Array so the input is never changed
  if (Buffer.isBuffer(input)) input = new Uint8Array(input)
  const n = input.length
  const at = n === 0 ? 0 : m.at % n
  switch (m.op) {
    case 'flip': { const o = input.slice(); if (n > 0) o[at] ^= 1 << m.bit; return o }
    case 'set': { const o = input.slice(); if (n > 0) o[at] = m.value; return o }
    case 'insert': return new Uint8Array([...input.subarray(0, at), ...m.bytes, ...input.subarray(at)])
    case 'delete': return new Uint8Array([...input.subarray(0, at), ...input.subarray(at + m.count)])
    case 'truncate': return input.slice(0, at)
    case 'duplicate': return new Uint8Array([...input.subarray(0, at + m.count), ...input.subarray(at)])
  }
}

/** Several mutations in a row. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 })
export function applyMutations (input: Uint8Array, ms: Mutation[]): Uint8Array {
  return ms.reduce(applyMutation, input)
}
