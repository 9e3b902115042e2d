/**
 * Schema validation issues (zod) in words, one per issue: `path: message`,
 * where the path is dotted (`api.port`) and a problem with the whole
 * object (an unknown key) is named by `whole` instead of an empty path.
 */
export function issueLines (issues: ReadonlyArray<{ path: readonly PropertyKey[], message: string }>, whole = '(top level)'): string[] {
  return issues.map(i => `${i.path.length === 0 ? whole : i.path.map(String).join('.')}: ${i.message}`)
}
