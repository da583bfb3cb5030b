/** Fixed limits of the job queue (the configurable ones are in settings.ts). */

/** A job's stored result (JSON text) beyond this is replaced by `{ truncated: true, bytes }`. */
export const JOB_RESULT_LIMIT = 65_536

/** A job's result as stored: JSON text, `{ truncated: true, bytes }` past the limit, null when none or not JSON. */
export function encodeJobResult(value: unknown): string | null {
  if (value === undefined) return null
  try {
    const text = JSON.stringify(value)
    if (text === undefined) return null
    return text.length > JOB_RESULT_LIMIT ? JSON.stringify({ truncated: true, bytes: text.length }) : text
  } catch {
    return null
  }
}
/** Progress values (JSON text) beyond this are refused. */
export const PROGRESS_LIMIT = 4_096
