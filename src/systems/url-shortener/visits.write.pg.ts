/**
 * Writing visits: the flusher's `writeBatch` and `settle`, per database.
 *
 * - PostgreSQL (a server with cores of its own, several processes flushing): a flush locks the
 *   affected links in id order (two processes flushing at once then never deadlock), inserts each
 *   link's bucket and adds to its counters in the same statement, and adds orphan visits to their
 *   counter row. `settle` has nothing to do.
 * - PGlite (PostgreSQL on the server's own thread, one process per data folder): a flush writes
 *   its visits as one journal row (visits.journal.ts) and its orphan visits as above, in one
 *   transaction; a roll-up turns the journal into buckets and counters and empties it, in one
 *   transaction, when it holds ROLLUP_VISITS visits or its oldest is ROLLUP_MS old, and whenever
 *   `settle` is called (before reads, at start to finish what a killed process left, at stop).
 *
 * Either way a visit is durable once its flush commits (the durability is the flush's, README).
 */
import type { Db, Queryable } from '../../platform/db/port.js'
import { ORPHAN_VISIT_TYPES, type OrphanVisitRecord, type ShapedVisits, type VisitRecord } from './ports.js'
import { VisitBatch } from './visits.batch.js'
import { type Bucket, encodeBucket, groupByLink } from './visits.bucket.js'
import { type BatchDoc, BucketBuilder, JournalStrings } from './visits.journal.js'

/** Largest bucket: a link's visits beyond this go to another bucket. */
export const BUCKET_MAX = 1_000
/**
 * The size of a bucket-writing statement, as visits + BUCKET_WEIGHT per bucket (what it costs on
 * PGlite, in µs: ~25 a row, ~1 a visit). PGlite runs each statement on the event loop's thread, so
 * this bounds the pause a write puts on redirects (under 10 ms); a statement also has a fixed cost
 * (about 1 ms on PGlite), so statements are as large as that allows: 50,000 visits in buckets of
 * 50 cost 1.1 µs of CPU each in statements of 5,000, 2.1 in statements of 1,000.
 */
const STATEMENT_WEIGHT = 8_000
const BUCKET_WEIGHT = 25
/**
 * A roll-up is due when the journal holds this many visits (this bounds what a read may have to
 * roll up first, and what a start after a kill finds)...
 */
export const ROLLUP_VISITS = 50_000
/**
 * ...or its oldest batch was written this long ago. A roll-up writes a bucket per link visited
 * since the last one (~25-50 µs each on PGlite), so below ROLLUP_VISITS / ROLLUP_MS visits a second
 * it is the bucket count, not the visits, that costs: at 500 visits/s over 1,000 links a roll-up
 * every 5 s wrote ~2.5 visits a bucket (~180 buckets/s), every 30 s ~15 (~33 buckets/s). Reads are
 * not made slower by it: they roll up first, and never more than ROLLUP_VISITS visits.
 */
export const ROLLUP_MS = 30_000
/** Journal rows read per query of a roll-up (a row is one flush: up to a few hundred kB). */
const BATCHES_PER_READ = 8

export interface VisitWriter {
  /** Write visits and orphan visits, durably, in one transaction. */
  writeBatch(visits: ShapedVisits | readonly VisitRecord[], orphans: OrphanVisitRecord[]): Promise<void>
  /**
   * Make every written visit visible to reads (buckets, counters): on PGlite, roll the journal up.
   * `onlyIfDue`: only when a roll-up is due (the flusher asks after each write).
   */
  settle(onlyIfDue?: boolean): Promise<void>
  /** Visits written by this writer and not rolled up yet (0 on PostgreSQL). */
  journaled(): number
}

export interface VisitWriterOptions {
  /** The size of a bucket-writing statement (default STATEMENT_WEIGHT; tests make it small). */
  statementWeight?: number
}

/** A bucket to write, encoded only when its statement is built. */
interface PendingBucket {
  n: number
  close(): Bucket
}

/** PGlite answers on the microtask queue: between statements, let waiting requests through. */
function yieldToEventLoop(db: Db): Promise<void> | undefined {
  return db.kind === 'pglite' ? new Promise<void>((r) => setImmediate(r)) : undefined
}

/** Insert buckets and add them to their links' counters, in statements of about `weight` (see STATEMENT_WEIGHT). */
async function writeBuckets(db: Db, tx: Queryable, buckets: PendingBucket[], weight: number) {
  for (let i = 0; i < buckets.length; ) {
    if (i > 0) await yieldToEventLoop(db)
    // Encode just before writing, chunk by chunk, so neither step holds the event loop for long.
    const chunk: Bucket[] = []
    for (let w = 0; i < buckets.length && w < weight; i++) {
      chunk.push(buckets[i]!.close())
      w += buckets[i]!.n + BUCKET_WEIGHT
    }
    // Buckets of links deleted since their visits were recorded are dropped by the join. They are
    // inserted in the order given (a link's later visits in a bucket of higher id), whatever the join.
    await tx.query(
      `WITH b AS (
         SELECT b.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::int[], $5::int[], $6::int[], $7::text[])
                    WITH ORDINALITY AS b(short_url_id, first_at, last_at, n, bots, uncounted, doc, ord)
           JOIN short_urls s ON s.id = b.short_url_id),
       ins AS (
         INSERT INTO visit_buckets (short_url_id, first_at, last_at, n, bots, visits)
         SELECT short_url_id, first_at, last_at, n, bots, doc::json FROM b ORDER BY ord)
       UPDATE short_urls s SET visit_count = s.visit_count + d.uncounted, bot_count = s.bot_count + d.bots
         FROM (SELECT short_url_id, sum(uncounted) AS uncounted, sum(bots) AS bots FROM b GROUP BY short_url_id) d
        WHERE s.id = d.short_url_id`,
      [
        chunk.map((b) => b.shortUrlId),
        chunk.map((b) => b.firstAt),
        chunk.map((b) => b.lastAt),
        chunk.map((b) => b.n),
        chunk.map((b) => b.bots),
        chunk.map((b) => b.uncounted),
        chunk.map((b) => b.doc),
      ],
    )
  }
}

/**
 * Orphan visits as bucket input: the type's index stands in for the link id, so groupByLink makes
 * the buckets in the order the types first arrived, as it does for links (a higher bucket id is the
 * newer visit when two share a millisecond).
 */
function orphanGroups(orphans: OrphanVisitRecord[]): VisitRecord[][] {
  return groupByLink(
    orphans.map((o) => ({
      shortUrlId: ORPHAN_VISIT_TYPES.indexOf(o.type),
      shortCode: '',
      at: o.at,
      referer: o.referer,
      userAgent: o.userAgent,
      visitedUrl: o.visitedUrl,
      redirectUrl: o.redirectUrl,
      potentialBot: o.potentialBot ?? false,
      counted: true,
      location: o.location ?? null,
    })),
    BUCKET_MAX,
  )
}

async function writeOrphans(tx: Queryable, orphans: OrphanVisitRecord[]): Promise<void> {
  if (orphans.length === 0) return
  const buckets = orphanGroups(orphans).map(encodeBucket)
  await tx.query(
    `WITH ins AS (
       INSERT INTO orphan_visit_buckets (type, first_at, last_at, n, bots, visits)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bigint[], $4::int[], $5::int[], $6::text[]::json[]))
     UPDATE orphan_visits SET total = total + $7, bots = bots + $8 WHERE id = 1`,
    [
      buckets.map((b) => b.shortUrlId),
      buckets.map((b) => b.firstAt),
      buckets.map((b) => b.lastAt),
      buckets.map((b) => b.n),
      buckets.map((b) => b.bots),
      buckets.map((b) => b.doc),
      orphans.length,
      buckets.reduce((n, b) => n + b.bots, 0),
    ],
  )
}

/** The writer for `db`: direct buckets on PostgreSQL, the journal on PGlite. */
export function createVisitWriter(db: Db, opts: VisitWriterOptions = {}): VisitWriter {
  const weight = opts.statementWeight ?? STATEMENT_WEIGHT
  if (db.kind === 'pg')
    return {
      async writeBatch(batch, orphans) {
        const visits = Array.isArray(batch)
          ? (batch as readonly VisitRecord[])
          : (batch as ShapedVisits).records()
        const ids = [...new Set(visits.map((v) => v.shortUrlId))].sort((a, b) => a - b)
        const buckets = groupByLink(visits, BUCKET_MAX).map((g) => ({
          n: g.length,
          close: () => encodeBucket(g),
        }))
        await db.tx(async (tx) => {
          if (ids.length > 0)
            await tx.query('SELECT id FROM short_urls WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [
              ids,
            ])
          await writeBuckets(db, tx, buckets, weight)
          await writeOrphans(tx, orphans)
        })
      },
      settle: async () => {},
      journaled: () => 0,
    }
  return journalWriter(db, weight)
}

function journalWriter(db: Db, weight: number): VisitWriter {
  const strings = new JournalStrings()
  /** Visits this writer put in the journal since its last roll-up, and when the first of them went in. */
  let pending = 0
  let pendingSince = 0
  /** Whether the journal was rolled up once: until then it may hold batches of an earlier process. */
  let recovered = false
  let rolling: Promise<void> | undefined

  async function rollUp(): Promise<void> {
    const before = pending
    await db.tx(async (tx) => {
      const builder = new BucketBuilder(BUCKET_MAX)
      let after = 0
      for (;;) {
        const { rows } = await tx.query<{ id: string | number; visits: string }>(
          `SELECT id, visits FROM visit_batches WHERE id > $1 ORDER BY id LIMIT ${BATCHES_PER_READ}`,
          [after],
        )
        for (const r of rows) builder.add(JSON.parse(r.visits) as BatchDoc)
        if (rows.length < BATCHES_PER_READ) break
        after = Number(rows.at(-1)!.id)
        await yieldToEventLoop(db)
      }
      if (builder.size > 0) {
        await writeBuckets(db, tx, builder.pending(), weight)
        // Every row was read in this transaction and nothing else writes meanwhile (one connection):
        // empty the table rather than delete rows, which nothing would ever vacuum on PGlite.
        await tx.query('TRUNCATE visit_batches')
      }
      // Still under the connection: the next batch, whenever it comes, defines its strings again.
      strings.clear()
    })
    recovered = true
    // Batches written while this ran (none: the transaction holds the connection) count from now.
    pending -= before
    if (pending === 0) pendingSince = 0
  }

  return {
    journaled: () => pending,

    async writeBatch(given, orphans) {
      const visits = VisitBatch.of(given)
      // Batches of an earlier process first: their string ids are not this writer's.
      if (!recovered) await rollUp()
      let undo: (() => void) | undefined
      try {
        await db.tx(async (tx) => {
          if (visits.length > 0) {
            // Encoded under the connection, so no roll-up comes between the strings and the row.
            const batch = strings.encode(visits)
            undo = batch.undo
            await tx.query('INSERT INTO visit_batches (n, visits) VALUES ($1, $2)', [
              visits.length,
              batch.doc,
            ])
          }
          await writeOrphans(tx, orphans)
        })
      } catch (err) {
        undo?.()
        throw err
      }
      if (visits.length === 0) return
      if (pending === 0) pendingSince = Date.now()
      pending += visits.length
    },

    async settle(onlyIfDue = false) {
      while (rolling) await rolling
      if (recovered && pending === 0) return
      if (onlyIfDue && recovered && pending < ROLLUP_VISITS && Date.now() - pendingSince < ROLLUP_MS) return
      rolling = rollUp().finally(() => {
        rolling = undefined
      })
      return rolling
    },
  }
}
