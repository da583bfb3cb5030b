/**
 * Short URLs in PostgreSQL (or PGlite): the SQL of creating, reading,
 * editing and deleting links, and of a redirect's lookup. A create is one
 * statement (tags add one idempotent upsert before it); a batch create is the
 * same statement over `unnest`ed arrays. Listing and the exact-match lookup
 * are in short-urls.query.pg.ts, the row mapping in short-urls.rows.pg.ts.
 */
import type { Db, Queryable } from '../../platform/db/port.js'
import type { NewShortUrl, RedirectRule, RedirectTarget, ShortUrlRow, ShortUrlStore } from './ports.js'
import { findExisting, listShortUrls } from './short-urls.query.pg.js'
import { COLUMNS, iso, type Row, RULES, rulesOf, toRow } from './short-urls.rows.pg.js'

async function upsertTags(q: Queryable, names: string[]): Promise<void> {
  if (names.length === 0) return
  // DO NOTHING takes no lock on existing tags, so creates sharing a hot tag do not queue on it.
  await q.query('INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [names])
}

export function createShortUrlStore(db: Db): ShortUrlStore {
  async function insertMany(links: NewShortUrl[]): Promise<Map<string, ShortUrlRow>> {
    const allTags = [...new Set(links.flatMap((l) => l.tags))]
    await upsertTags(db, allTags)
    const tagLink: number[] = []
    const tagName: string[] = []
    for (const l of links)
      for (const t of l.tags) {
        tagLink.push(l.id)
        tagName.push(t)
      }
    const { rows } = await db.query<Row>(
      `WITH v AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]::timestamptz[],
                              $5::text[]::timestamptz[], $6::int[], $7::text[], $8::bool[], $9::bool[], $10::bigint[])
           AS v(id, short_code, long_url, valid_since, valid_until, max_visits, title, crawlable, forward_query, api_key_id)
       ), ins AS (
         INSERT INTO short_urls AS s (id, short_code, long_url, valid_since, valid_until, max_visits, title,
                                      crawlable, forward_query, api_key_id)
         SELECT * FROM v
         ON CONFLICT (short_code) DO NOTHING
         RETURNING s.*
       ), linked AS (
         INSERT INTO short_url_tags (short_url_id, tag_id)
         SELECT ins.id, t.id FROM unnest($11::bigint[], $12::text[]) AS lt(short_url_id, name)
           JOIN ins ON ins.id = lt.short_url_id JOIN tags t ON t.name = lt.name
         ON CONFLICT DO NOTHING
       )
       SELECT s.id, s.short_code, s.long_url, s.date_created, s.valid_since, s.valid_until, s.max_visits,
              s.visit_count, s.bot_count, s.title, s.crawlable, s.forward_query, s.version,
              coalesce((SELECT array_agg(DISTINCT lt.name ORDER BY lt.name)
                          FROM unnest($11::bigint[], $12::text[]) AS lt(short_url_id, name)
                         WHERE lt.short_url_id = s.id), '{}') AS tags
         FROM ins AS s`,
      [
        links.map((l) => l.id),
        links.map((l) => l.shortCode),
        links.map((l) => l.longUrl),
        links.map((l) => iso(l.validSince)),
        links.map((l) => iso(l.validUntil)),
        links.map((l) => l.maxVisits),
        links.map((l) => l.title),
        links.map((l) => l.crawlable),
        links.map((l) => l.forwardQuery),
        links.map((l) => l.apiKeyId),
        tagLink,
        tagName,
      ],
    )
    return new Map(rows.map((r) => [r.short_code, toRow(r)]))
  }

  async function findByCode(code: string): Promise<ShortUrlRow | undefined> {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM short_urls s WHERE s.short_code = $1`, [
      code,
    ])
    return rows[0] ? toRow(rows[0]) : undefined
  }

  return {
    async codeKey(candidate) {
      await db.query('INSERT INTO code_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [candidate])
      const { rows } = await db.query<{ key: Uint8Array }>('SELECT key FROM code_key WHERE id = 1')
      return new Uint8Array(rows[0]!.key)
    },

    async insert(link) {
      // One plain INSERT (a statement PGlite plans in a millisecond, unlike the batch CTE); the
      // row is built from what we sent plus what the database decided (date, version).
      const write = async (q: Queryable) => {
        const { rows } = await q.query<{ date_created: Date; version: string | number }>(
          `INSERT INTO short_urls (id, short_code, long_url, valid_since, valid_until, max_visits, title,
                                   crawlable, forward_query, api_key_id)
           VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10)
           ON CONFLICT (short_code) DO NOTHING
           RETURNING date_created, version`,
          [
            link.id,
            link.shortCode,
            link.longUrl,
            iso(link.validSince),
            iso(link.validUntil),
            link.maxVisits,
            link.title,
            link.crawlable,
            link.forwardQuery,
            link.apiKeyId,
          ],
        )
        const r = rows[0]
        if (!r) return 'conflict' as const
        if (link.tags.length > 0)
          await q.query(
            'INSERT INTO short_url_tags (short_url_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2::text[])',
            [link.id, link.tags],
          )
        return {
          id: link.id,
          shortCode: link.shortCode,
          longUrl: link.longUrl,
          dateCreated: r.date_created,
          validSince: link.validSince,
          validUntil: link.validUntil,
          maxVisits: link.maxVisits,
          visitCount: 0,
          botCount: 0,
          title: link.title,
          crawlable: link.crawlable,
          forwardQuery: link.forwardQuery,
          tags: [...link.tags].sort(),
          rules: [],
          version: Number(r.version),
        } satisfies ShortUrlRow
      }
      if (link.tags.length === 0) return write(db)
      await upsertTags(db, link.tags)
      return db.tx(write)
    },

    insertMany,
    findByCode,

    async setRules(id, rules) {
      await db.tx(async (tx) => {
        await tx.query('DELETE FROM redirect_rules WHERE short_url_id = $1', [id])
        if (rules.length > 0)
          await tx.query(
            `INSERT INTO redirect_rules (short_url_id, priority, long_url, conditions)
             SELECT $1, p, u, c::json FROM unnest($2::int[], $3::text[], $4::text[]) AS r(p, u, c)`,
            [
              id,
              rules.map((_, i) => i + 1),
              rules.map((r) => r.longUrl),
              rules.map((r) => JSON.stringify(r.conditions)),
            ],
          )
        await tx.query("UPDATE short_urls SET version = nextval('versions') WHERE id = $1", [id])
      })
    },

    findExisting: (c) => findExisting(db, c),

    async targets(codes) {
      const { rows } = await db.query<{
        id: string | number
        short_code: string
        long_url: string
        forward_query: boolean
        valid_since: Date | null
        valid_until: Date | null
        max_visits: number | null
        version: string | number
        rules: RedirectRule[] | string | null
      }>(
        // One statement for every code a turn of the event loop asked for (TargetLoader).
        `SELECT id, short_code, long_url, forward_query, valid_since, valid_until, max_visits, version, ${RULES}
           FROM short_urls s WHERE short_code = ANY($1::text[])`,
        [codes],
      )
      const found = new Map<string, RedirectTarget>()
      for (const r of rows)
        found.set(r.short_code, {
          id: Number(r.id),
          longUrl: r.long_url,
          forwardQuery: r.forward_query,
          validSince: r.valid_since ? r.valid_since.getTime() : null,
          validUntil: r.valid_until ? r.valid_until.getTime() : null,
          maxVisits: r.max_visits,
          rules: rulesOf(r.rules),
          version: Number(r.version),
        })
      return found
    },

    list: (q) => listShortUrls(db, q),

    async update(code, patch) {
      return db.tx(async (tx) => {
        const sets: string[] = ["version = nextval('versions')"]
        const params: unknown[] = [code]
        const set = (col: string, v: unknown, cast = '') => {
          params.push(v)
          sets.push(`${col} = $${params.length}${cast}`)
        }
        if (patch.longUrl !== undefined) set('long_url', patch.longUrl)
        if (patch.validSince !== undefined) set('valid_since', iso(patch.validSince), '::timestamptz')
        if (patch.validUntil !== undefined) set('valid_until', iso(patch.validUntil), '::timestamptz')
        if (patch.maxVisits !== undefined) set('max_visits', patch.maxVisits)
        if (patch.title !== undefined) set('title', patch.title)
        if (patch.crawlable !== undefined) set('crawlable', patch.crawlable)
        if (patch.forwardQuery !== undefined) set('forward_query', patch.forwardQuery)
        const { rows } = await tx.query<{ id: string | number }>(
          `UPDATE short_urls SET ${sets.join(', ')} WHERE short_code = $1 RETURNING id`,
          params,
        )
        const id = rows[0]?.id
        if (id === undefined) return undefined
        if (patch.tags !== undefined) {
          await upsertTags(tx, patch.tags)
          await tx.query('DELETE FROM short_url_tags WHERE short_url_id = $1', [id])
          await tx.query(
            `INSERT INTO short_url_tags (short_url_id, tag_id)
             SELECT $1, id FROM tags WHERE name = ANY($2::text[])`,
            [id, patch.tags],
          )
        }
        const { rows: out } = await tx.query<Row>(`SELECT ${COLUMNS} FROM short_urls s WHERE s.id = $1`, [id])
        return toRow(out[0]!)
      })
    },

    async delete(code) {
      return db.tx(async (tx) => {
        const { rows } = await tx.query<{ id: string | number; version: string | number }>(
          "DELETE FROM short_urls WHERE short_code = $1 RETURNING id, nextval('versions') AS version",
          [code],
        )
        const r = rows[0]
        if (!r) return undefined
        await tx.query('DELETE FROM visit_buckets WHERE short_url_id = $1', [r.id])
        return { version: Number(r.version) }
      })
    },

    async countVisit(id) {
      const { rows } = await db.query(
        `UPDATE short_urls SET visit_count = visit_count + 1
          WHERE id = $1 AND (max_visits IS NULL OR visit_count < max_visits) RETURNING id`,
        [id],
      )
      return rows.length > 0
    },
  }
}
