/** Domains and their "not found" redirects in PostgreSQL (`domains`, sql/0003). */
import type { Db } from '../../platform/db/port.js'
import type { DomainRow, DomainStore, NotFoundRedirects } from './ports.js'

interface Row {
  authority: string
  base_url_redirect: string | null
  regular_404_redirect: string | null
  invalid_short_url_redirect: string | null
}

function toDomain(r: Row): DomainRow {
  return {
    authority: r.authority,
    redirects: {
      baseUrlRedirect: r.base_url_redirect,
      regular404Redirect: r.regular_404_redirect,
      invalidShortUrlRedirect: r.invalid_short_url_redirect,
    },
  }
}

export function createDomainStore(db: Db): DomainStore {
  return {
    async all() {
      const { rows } = await db.query<Row>('SELECT * FROM domains ORDER BY authority')
      return rows.map(toDomain)
    },

    async upsertRedirects(authority: string, patch: Partial<NotFoundRedirects>) {
      // Absent fields keep their value, null clears: COALESCE over a "was given" flag per field.
      const { rows } = await db.query<Row>(
        `INSERT INTO domains AS d (authority, base_url_redirect, regular_404_redirect, invalid_short_url_redirect)
         VALUES ($1, $3, $5, $7)
         ON CONFLICT (authority) DO UPDATE SET
           base_url_redirect = CASE WHEN $2 THEN $3 ELSE d.base_url_redirect END,
           regular_404_redirect = CASE WHEN $4 THEN $5 ELSE d.regular_404_redirect END,
           invalid_short_url_redirect = CASE WHEN $6 THEN $7 ELSE d.invalid_short_url_redirect END
         RETURNING *`,
        [
          authority,
          patch.baseUrlRedirect !== undefined,
          patch.baseUrlRedirect ?? null,
          patch.regular404Redirect !== undefined,
          patch.regular404Redirect ?? null,
          patch.invalidShortUrlRedirect !== undefined,
          patch.invalidShortUrlRedirect ?? null,
        ],
      )
      return toDomain(rows[0]!)
    },
  }
}
