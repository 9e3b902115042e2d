/** Draining async iterables in tests and benchmarks. */

/** Every item of `it`, in order. */
export async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** The chunks of a byte stream joined into one array (each chunk is copied: producers may reuse their buffers). */
export async function collectBytes (it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const p of it) { parts.push(p.slice()); n += p.length }
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
