/**
 * Which author keys consensus leaves out: those proved to have equivocated.
 *
 * The rule is a pure function of the evidence a node holds: a key is
 * excluded exactly when some held evidence (two signed segments of that key
 * that differ at one seq, `verifyEquivocation`) names it. Evidence is
 * portable and checkable by anyone with the key's public part, so nodes that
 * exchange it (gossip and sync carry it) hold the same set and exclude the
 * same keys, whichever fork of the key's log each of them kept. All of the
 * key's statements are left out, the ones before the fork too: nodes hold
 * different forks, and only leaving the whole log out makes them agree.
 * Exclusion is never lifted; the org's other keys keep counting.
 */
import { compareBytes, toHex } from '../bytes.js'
import { verifyEquivocation } from '../log/index.js'
import type { Equivocation } from '../types.js'

/** The keys a set of evidence excludes, each once, in byte order. Throws `InvalidEvidenceError` on evidence that proves nothing. */
export function excludedKeys (evidence: Iterable<Equivocation>, alliance: string): Uint8Array[] {
  const keys = new Map<string, Uint8Array>()
  for (const ev of evidence) {
    const { author } = verifyEquivocation(ev, alliance)
    keys.set(toHex(author), author)
  }
  return [...keys.values()].sort(compareBytes)
}
