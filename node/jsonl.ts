/** JSON Lines input, read line by line in bounded memory (listings files, identifier files). */
import { createInterface } from 'node:readline'
import { StringDecoder } from 'node:string_decoder'

export interface JsonlLine {
  /** 1-based line number */
  line: number
  /** the parsed object; undefined when the line is not JSON, not a JSON object, or too long */
  obj: Record<string, unknown> | undefined
  /** set when the line was longer than `maxLineChars`: its text was dropped as it was read, never held whole */
  tooLong?: true
}

export interface JsonlOptions {
  /**
   * Longest line kept, in characters (without its line break). A longer line
   * is reported `tooLong` and skipped without being held in memory, so one
   * line with no break in a huge file cannot take the reader's memory.
   * Lines end at "\n" (a "\r" before it is dropped).
   * @default unbounded (lines split by readline, which also ends a line at a lone "\r")
   */
  maxLineChars?: number
}

function parsed (line: number, text: string): JsonlLine {
  let obj: unknown
  try { obj = JSON.parse(text) } catch { obj = undefined }
  return { line, obj: typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? obj as Record<string, unknown> : undefined }
}

/**
 * Each non-blank line with its 1-based line number, parsed: the object, or
 * undefined when the line is not JSON or not a JSON object (the caller names
 * the problem its own way).
 */
export async function * jsonlObjects (input: NodeJS.ReadableStream, opts: JsonlOptions = {}): AsyncGenerator<JsonlLine> {
  if (opts.maxLineChars !== undefined) {
    yield * boundedLines(input, opts.maxLineChars)
    return
  }
  const rl = createInterface({ input, crlfDelay: Infinity })
  let line = 0
  for await (const text of rl) {
    line++
    if (text.trim() === '') continue
    yield parsed(line, text)
  }
}

async function * boundedLines (input: NodeJS.ReadableStream, max: number): AsyncGenerator<JsonlLine> {
  const decoder = new StringDecoder('utf8')
  let line = 0
  /** the current line's text so far ('' once it went over the cap) */
  let pending = ''
  let over = false
  const end = (text: string): JsonlLine | undefined => {
    line++
    const whole = text.endsWith('\r') ? text.slice(0, -1) : text
    const tooLong = over || whole.length > max
    over = false
    if (tooLong) return { line, obj: undefined, tooLong: true }
    if (whole.trim() === '') return undefined
    return parsed(line, whole)
  }
  const take = function * (s: string): Generator<JsonlLine> {
    let start = 0
    for (;;) {
      const nl = s.indexOf('\n', start)
      if (nl === -1) {
        if (!over) {
          pending += s.slice(start)
          // +1: a "\r" that may still be followed by "\n"
          if (pending.length > max + 1) { over = true; pending = '' }
        }
        return
      }
      const text = over ? '' : pending + s.slice(start, nl)
      pending = ''
      const out = end(text)
      if (out !== undefined) yield out
      start = nl + 1
    }
  }
  for await (const chunk of input) yield * take(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer))
  yield * take(decoder.end())
  if (pending !== '' || over) {
    const out = end(pending)
    if (out !== undefined) yield out
  }
}
