/** JSON Lines input, read line by line in bounded memory (listings files, identifier files). */
import { createInterface } from 'node:readline'

/**
 * Each non-blank line with its 1-based line number, parsed: the object, or
 * undefined when the line is not JSON or not a JSON object (the caller names
 * the problem its own way).
 */
export async function * jsonlObjects (input: NodeJS.ReadableStream): AsyncGenerator<{ line: number, obj: Record<string, unknown> | undefined }> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  let line = 0
  for await (const text of rl) {
    line++
    if (text.trim() === '') continue
    let obj: unknown
    try { obj = JSON.parse(text) } catch { obj = undefined }
    yield { line, obj: typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? obj as Record<string, unknown> : undefined }
  }
}
