/**
 * The reason vocabulary: what an attestation's `reason` code means.
 *
 * The roster policy names it (`Policy.reasons`: code, name, description);
 * a policy without one uses DEFAULT_REASONS, so rosters made before the
 * vocabulary existed keep working and show the same names. Rules:
 * - code 0 means "no reason given" and is never in a vocabulary;
 * - codes and names are unique within a version; a name is lower case,
 *   digits and '-', starting with a letter (so it never looks like a code);
 * - a code keeps its name from one version to the next (like the wire
 *   numbers of protocol/kinds.ts: an attestation made under code 3 must not
 *   change meaning when the roster changes). Renaming is a new code; a code
 *   may be retired (dropped) and its name stays known from the version that
 *   had it (ReasonNames).
 */
import { ProtocolError } from '../errors.js'
import { MAX_REASON_DESCRIPTION_CHARS, MAX_REASONS } from '../limits.js'
import type { Policy, Reason } from '../types.js'

/** Code of an attestation that gives no reason. */
export const NO_REASON = 0
export const MAX_REASON_CODE = 0xffffffff
export const REASON_NAME_RE = /^[a-z][a-z0-9-]{0,47}$/

/** The vocabulary of a policy that names none. */
export const DEFAULT_REASONS: readonly Reason[] = Object.freeze([
  { code: 1, name: 'counterfeit', description: 'Goods bearing a brand\'s mark that the brand did not make or authorise (test purchase, seizure or expert opinion)' },
  { code: 2, name: 'trademark-infringement', description: 'Use of a registered mark, or a confusingly similar sign, on goods or listings the owner did not authorise' },
  { code: 3, name: 'copyright', description: 'Copied photographs, product texts, software or other works of the rights holder' },
  { code: 4, name: 'design-right', description: 'Products that copy a registered or unregistered design' },
  { code: 5, name: 'unauthorised-reseller', description: 'Genuine goods sold outside the brand\'s authorised distribution, in breach of a selective distribution agreement' },
  { code: 6, name: 'fraud', description: 'Payment taken with no goods delivered, phishing, or a seller impersonating the brand' }
].map(r => Object.freeze(r)))

/** A reason given by name or code is not in the vocabulary. `valid` lists the names that are. */
export class UnknownReasonError extends ProtocolError {
  readonly valid: string[]
  constructor (given: string | number, valid: readonly Reason[], where?: string) {
    const shown = typeof given === 'number' ? `code ${given}` : REASON_NAME_RE.test(given) || /^\d{1,10}$/.test(given) ? `"${given}"` : '(not a reason name)'
    super('unknown_reason', `${where !== undefined ? `${where}: ` : ''}reason ${shown} is not in the alliance's vocabulary; valid reasons: ${valid.map(r => `${r.name} (${r.code})`).join(', ')}, or none`)
    this.name = 'UnknownReasonError'
    this.valid = valid.map(r => r.name)
  }
}

/** A vocabulary breaks the rules above. */
export class InvalidReasonsError extends ProtocolError {
  constructor (why: string) {
    super('invalid_reasons', `reason vocabulary rejected: ${why}`)
    this.name = 'InvalidReasonsError'
  }
}

/** Checks one version's vocabulary; `fail` makes the caller's error (the roster's InvalidRosterError). */
export function validateReasons (reasons: readonly Reason[], fail: (why: string) => Error = why => new InvalidReasonsError(why)): void {
  if (reasons.length > MAX_REASONS) throw fail(`more than ${MAX_REASONS} reasons`)
  const codes = new Set<number>()
  const names = new Set<string>()
  for (const r of reasons) {
    if (!Number.isInteger(r.code) || r.code < 1 || r.code > MAX_REASON_CODE) throw fail(`reason code ${String(r.code)} must be 1..${MAX_REASON_CODE} (0 means no reason)`)
    if (!REASON_NAME_RE.test(r.name)) throw fail(`reason ${r.code}: name must match ${REASON_NAME_RE.source}`)
    if (codes.has(r.code)) throw fail(`reason code ${r.code} is listed twice`)
    if (names.has(r.name)) throw fail(`reason name ${r.name} is listed twice`)
    if (r.description.length > MAX_REASON_DESCRIPTION_CHARS) throw fail(`reason ${r.name}: description is longer than ${MAX_REASON_DESCRIPTION_CHARS} characters`)
    if (/\p{Cc}/u.test(r.description)) throw fail(`reason ${r.name}: description contains a control character`)
    codes.add(r.code)
    names.add(r.name)
  }
}

/** The vocabulary in force under a policy: its own, or the defaults. */
export function vocabularyOf (policy: Pick<Policy, 'reasons'>): readonly Reason[] {
  return policy.reasons.length > 0 ? policy.reasons : DEFAULT_REASONS
}

/** Version n+1 may add and retire reasons, never give a kept code another name. */
export function assertReasonContinuity (prev: Pick<Policy, 'reasons'>, next: Pick<Policy, 'reasons'>, fail: (why: string) => Error): void {
  const before = new Map(vocabularyOf(prev).map(r => [r.code, r.name]))
  for (const r of vocabularyOf(next)) {
    const was = before.get(r.code)
    if (was !== undefined && was !== r.name) throw fail(`reason code ${r.code} is "${was}" in the version before and cannot become "${r.name}": give a new name a new code`)
  }
}

/**
 * A reason as a person or a script gives it — a name ("counterfeit"), a
 * code (3 or "3"), or nothing — to the code an attestation carries. Only
 * codes of the vocabulary (and 0, none) are accepted.
 */
export function resolveReason (vocabulary: readonly Reason[], given: string | number | undefined, where?: string): number {
  if (given === undefined || given === '') return NO_REASON
  if (typeof given === 'number' || /^\d{1,10}$/.test(given)) {
    const code = Number(given)
    if (code === NO_REASON) return NO_REASON
    if (vocabulary.some(r => r.code === code)) return code
    throw new UnknownReasonError(code, vocabulary, where)
  }
  const name = given.trim().toLowerCase()
  const found = vocabulary.find(r => r.name === name)
  if (found === undefined) throw new UnknownReasonError(given, vocabulary, where)
  return found.code
}

/**
 * Names of reason codes across a roster chain: a code's name in the newest
 * version that has it, so a retired code keeps the name it was given under.
 * Versions are given oldest first.
 */
export class ReasonNames {
  readonly #byCode = new Map<number, Reason>()
  readonly current: readonly Reason[]

  constructor (policies: ReadonlyArray<Pick<Policy, 'reasons'>>) {
    for (const p of policies) for (const r of vocabularyOf(p)) this.#byCode.set(r.code, r)
    this.current = policies.length > 0 ? vocabularyOf(policies[policies.length - 1]) : DEFAULT_REASONS
  }

  /** The reason of a code; undefined for 0 (none) and for codes no version names. */
  of (code: number): Reason | undefined {
    return code === NO_REASON ? undefined : this.#byCode.get(code)
  }

  /** What to show for a code: its name, else the number. */
  label (code: number): string {
    return this.of(code)?.name ?? String(code)
  }
}
