/**
 * Keeps PGlite's commits durable against a killed process, whatever
 * `synchronous_commit` a caller asks for.
 *
 * Why: with `synchronous_commit = off` PostgreSQL leaves the commit record in
 * its WAL buffers and counts on the WAL writer to write it within
 * `wal_writer_delay`. PGlite is PostgreSQL's single-user mode: there is no WAL
 * writer, so such a commit reached the files only when a later synchronous
 * commit happened to flush past it. A SIGKILL in between lost it (the jobs
 * worker's asynchronous completions came back as `waiting` and ran twice).
 * On PGlite the saving async commit buys on a server is absent anyway
 * (`fsync` is off; a flush is a `write` into the page cache, ~0.5 ms), so
 * here every commit is made as durable as a synchronous one:
 *
 * - a statement, script or transaction whose text mentions
 *   `synchronous_commit` is followed, under the same lock and before its
 *   caller sees the result, by a WAL flush and `synchronous_commit` back `on`
 *   for the session (window: none);
 * - commits made asynchronous some other way (a function with a `SET`
 *   clause, a database default) are caught by a check every
 *   `SAFETY_NET_MS`, which flushes when the WAL written lags the WAL
 *   inserted (window: at most `SAFETY_NET_MS`, documented as 200 ms). The
 *   check is skipped while no statement ran since the last one (only our own
 *   statements insert WAL here), so an idle process makes no query: checking
 *   ten times a second cost an idle server ~5-12 ms of CPU a second.
 */

/** How often the safety net compares the WAL insert and flush positions. */
export const SAFETY_NET_MS = 100

const MENTIONS_ASYNC_COMMIT = /synchronous_commit/i

/** Whether `sql` may turn asynchronous commit on (so a flush must follow it). */
export function mayCommitAsync(sql: string): boolean {
  return MENTIONS_ASYNC_COMMIT.test(sql)
}

/**
 * Writes the WAL up to its end (a non-transactional logical message with
 * `flush`, PostgreSQL 17+, which needs no transaction id), and puts the
 * session's `synchronous_commit` back to `on`.
 */
export const FLUSH_SQL =
  "SELECT pg_logical_emit_message(false, 'blueprints.flush', ''::text, true), set_config('synchronous_commit', 'on', false)"

/** True when WAL was inserted that is not written yet (an asynchronous commit, or one on its way). */
export const BEHIND_SQL = 'SELECT pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn() AS behind'
