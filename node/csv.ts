/** CSV output (RFC 4180), shared by every writer of CSV: blocklist exports, match decisions, the examples' listings files. */

const CSV_SPECIAL = /[",\r\n]/

/** One field: quoted (with inner quotes doubled) when it holds a quote, comma or line break; as is otherwise. */
export function csvField (s: string): string {
  return CSV_SPECIAL.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
