/** Fixed limits of the job queue (the configurable ones are in settings.ts). */

/** A job's stored result (JSON text) beyond this is replaced by `{ truncated: true, bytes }`. */
export const JOB_RESULT_LIMIT = 65_536
/** Progress values (JSON text) beyond this are refused. */
export const PROGRESS_LIMIT = 4_096
