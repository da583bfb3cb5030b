/**
 * The management side of the domain: create (one or a batch), read, list,
 * edit and delete short URLs; tags and visit statistics. Every write that
 * changes what a code redirects to is written through to the shared cache
 * and broadcast to every process's LRU (invalidation.ts).
 */
import type { Static } from '@sinclair/typebox'
import type { Logger } from '../../platform/telemetry/logger.js'
import { type CodeCodec, codeFromPath, isPlausibleCode } from './codes.js'
import type { IdAllocator } from './id-allocator.js'
import { type CreationInput, creationInput, editionInput, type InputContext, parseDate } from './input.js'
import type { Invalidator } from './invalidation.js'
import type {
  ListQuery,
  NewShortUrl,
  OrphanVisitType,
  Page,
  RedirectTarget,
  SharedCache,
  ShortUrlRow,
  ShortUrlStore,
  TagQuery,
  TagStats,
  TagStore,
  VisitQuery,
  VisitRow,
  VisitStore,
} from './ports.js'
import { rulesFromBody } from './redirect-rules.js'
import type { ShortUrlCreation, ShortUrlEdition } from './schemas.js'
import { type ShlinkError, ShlinkErrors } from './shlink-errors.js'

/** Tries at generating a free code; only a custom slug equal to a generated code can use one. */
const MAX_CODE_ATTEMPTS = 5

export interface ServiceDeps {
  store: ShortUrlStore
  tags: TagStore
  visits: VisitStore
  codec: CodeCodec
  ids: IdAllocator
  shared: SharedCache | undefined
  invalidator: Invalidator
  input: InputContext
  log: Logger
  /** Links just created (the Mercure publisher's `new-short-url`). */
  onCreated?: (rows: ShortUrlRow[]) => void
}

export type BatchItem = { ok: true; row: ShortUrlRow } | { ok: false; error: ShlinkError }

export function targetOf(row: ShortUrlRow): RedirectTarget {
  return {
    id: row.id,
    longUrl: row.longUrl,
    forwardQuery: row.forwardQuery,
    validSince: row.validSince ? row.validSince.getTime() : null,
    validUntil: row.validUntil ? row.validUntil.getTime() : null,
    maxVisits: row.maxVisits,
    rules: row.rules.length > 0 ? row.rules : null,
    version: row.version,
  }
}

export class ShortUrlService {
  constructor(private readonly d: ServiceDeps) {}

  async create(body: Static<typeof ShortUrlCreation>, apiKeyId: number | null): Promise<ShortUrlRow> {
    const input = creationInput(body, this.d.input)
    if (input.findIfExists) {
      const found = await this.findExisting(input)
      if (found) return found
    }
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
      const id = await this.d.ids.take()
      const code = input.customSlug ?? this.d.codec.encode(id, input.shortCodeLength)
      const row = await this.d.store.insert(this.newLink(id, code, input, apiKeyId))
      if (row !== 'conflict') {
        await this.published([row])
        this.d.onCreated?.([row])
        return row
      }
      if (input.customSlug !== undefined) throw ShlinkErrors.nonUniqueSlug(input.customSlug)
    }
    throw new Error(`no free short code after ${MAX_CODE_ATTEMPTS} attempts`)
  }

  /**
   * Create up to 1,000 links with one INSERT. Items are checked one by one
   * (`invalid` holds the items the schema already refused); a generated code
   * that collides with a custom slug is retried with the next id.
   */
  async createMany(
    bodies: (Static<typeof ShortUrlCreation> | ShlinkError)[],
    apiKeyId: number | null,
  ): Promise<BatchItem[]> {
    const results: (BatchItem | undefined)[] = new Array(bodies.length)
    let todo: { index: number; input: CreationInput }[] = []
    const slugs = new Set<string>()
    for (const [index, body] of bodies.entries()) {
      if (body instanceof Error) {
        results[index] = { ok: false, error: body }
        continue
      }
      try {
        const input = creationInput(body, this.d.input)
        if (input.customSlug !== undefined) {
          // Two items asking for one slug: the first wins, as if sent one after the other.
          if (slugs.has(input.customSlug)) throw ShlinkErrors.nonUniqueSlug(input.customSlug)
          slugs.add(input.customSlug)
        }
        if (input.findIfExists) {
          const found = await this.findExisting(input)
          if (found) {
            results[index] = { ok: true, row: found }
            continue
          }
        }
        todo.push({ index, input })
      } catch (err) {
        results[index] = { ok: false, error: err as ShlinkError }
      }
    }
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS && todo.length > 0; attempt++) {
      const ids = await this.d.ids.takeMany(todo.length)
      const links = todo.map((t, i) =>
        this.newLink(
          ids[i]!,
          t.input.customSlug ?? this.d.codec.encode(ids[i]!, t.input.shortCodeLength),
          t.input,
          apiKeyId,
        ),
      )
      const inserted = await this.d.store.insertMany(links)
      await this.published([...inserted.values()])
      this.d.onCreated?.([...inserted.values()])
      const retry: typeof todo = []
      for (const [i, t] of todo.entries()) {
        const row = inserted.get(links[i]!.shortCode)
        if (row) results[t.index] = { ok: true, row }
        else if (t.input.customSlug !== undefined)
          results[t.index] = { ok: false, error: ShlinkErrors.nonUniqueSlug(t.input.customSlug) }
        else retry.push(t)
      }
      todo = retry
    }
    if (todo.length > 0) throw new Error(`no free short code after ${MAX_CODE_ATTEMPTS} attempts`)
    return results as BatchItem[]
  }

  async get(raw: string): Promise<ShortUrlRow> {
    const code = codeFromPath(raw)
    await this.d.visits.settle()
    const row = isPlausibleCode(code) ? await this.d.store.findByCode(code) : undefined
    if (!row) throw ShlinkErrors.shortUrlNotFound(code)
    return row
  }

  async list(q: ListQuery): Promise<Page<ShortUrlRow>> {
    await this.d.visits.settle()
    return this.d.store.list(q)
  }

  async edit(raw: string, body: Static<typeof ShortUrlEdition>): Promise<ShortUrlRow> {
    const code = codeFromPath(raw)
    const patch = editionInput(body, this.d.input)
    // Counted before the edit: a maxVisits set now counts the visits already made, and the row says so.
    await this.d.visits.settle()
    const row = isPlausibleCode(code) ? await this.d.store.update(code, patch) : undefined
    if (!row) throw ShlinkErrors.shortUrlNotFound(code)
    await this.published([row])
    return row
  }

  async remove(raw: string): Promise<void> {
    const code = codeFromPath(raw)
    const gone = isPlausibleCode(code) ? await this.d.store.delete(code) : undefined
    if (!gone) throw ShlinkErrors.shortUrlNotFound(code)
    await this.writeThrough([{ code, target: null, version: gone.version }])
    await this.d.invalidator.invalidate([code])
  }

  /** Replace a link's redirect rules; every cache tier then holds the new rules. */
  async setRules(code: string, body: unknown): Promise<ShortUrlRow> {
    const row = await this.get(code)
    await this.d.store.setRules(row.id, rulesFromBody(body, this.d.input.policy))
    const updated = await this.d.store.findByCode(row.shortCode)
    if (!updated) throw ShlinkErrors.shortUrlNotFound(code)
    await this.published([updated])
    return updated
  }

  async visits(code: string, q: VisitQuery): Promise<Page<VisitRow>> {
    const row = await this.get(code)
    return this.d.visits.list({ shortUrlId: row.id }, q)
  }

  async tagVisits(tag: string, q: VisitQuery): Promise<Page<VisitRow>> {
    if (!(await this.d.visits.tagExists(tag))) throw ShlinkErrors.tagNotFound(tag)
    return this.d.visits.list({ tag }, q)
  }

  nonOrphanVisits(q: VisitQuery): Promise<Page<VisitRow>> {
    return this.d.visits.list({ all: true }, q)
  }

  orphanVisits(q: VisitQuery, type?: OrphanVisitType): Promise<Page<VisitRow>> {
    return this.d.visits.listOrphans(q, type)
  }

  deleteOrphanVisits(): Promise<number> {
    return this.d.visits.deleteOrphans()
  }

  /** Delete a link's visits. A link with maxVisits can be visited again (its count restarts), as in Shlink. */
  async deleteVisits(code: string): Promise<number> {
    const row = await this.get(code)
    const n = await this.d.visits.deleteFor(row.id)
    await this.published([{ ...row, visitCount: 0, botCount: 0 }])
    return n
  }

  visitsSummary() {
    return this.d.visits.summary()
  }

  tagList(q: TagQuery): Promise<Page<string>> {
    return this.d.tags.list(q)
  }

  async tagStats(q: TagQuery): Promise<Page<TagStats>> {
    await this.d.visits.settle()
    return this.d.tags.stats(q)
  }

  async renameTag(oldName: string, newName: string): Promise<void> {
    const result = await this.d.tags.rename(oldName, newName)
    if (result === 'not-found') throw ShlinkErrors.tagNotFound(oldName)
    if (result === 'conflict') throw ShlinkErrors.tagConflict(oldName, newName)
  }

  deleteTags(names: string[]): Promise<number> {
    return this.d.tags.delete(names)
  }

  /** Parse an optional ISO date query parameter into a Date (Shlink's startDate/endDate). */
  static optionalDate(raw: string | undefined, field: string): Date | undefined {
    return raw === undefined || raw === '' ? undefined : parseDate(raw, field)
  }

  private async findExisting(input: CreationInput): Promise<ShortUrlRow | undefined> {
    await this.d.visits.settle()
    return this.d.store.findExisting({
      longUrl: input.longUrl,
      ...(input.customSlug !== undefined && { customSlug: input.customSlug }),
      ...(input.given.validSince && { validSince: input.validSince }),
      ...(input.given.validUntil && { validUntil: input.validUntil }),
      ...(input.given.maxVisits && { maxVisits: input.maxVisits }),
      ...(input.given.tags && { tags: input.tags }),
    })
  }

  private newLink(id: number, shortCode: string, input: CreationInput, apiKeyId: number | null): NewShortUrl {
    return {
      id,
      shortCode,
      longUrl: input.longUrl,
      validSince: input.validSince,
      validUntil: input.validUntil,
      maxVisits: input.maxVisits,
      title: input.title,
      crawlable: input.crawlable,
      forwardQuery: input.forwardQuery,
      tags: input.tags,
      apiKeyId,
    }
  }

  /**
   * After a write: the shared cache gets the new version, every LRU drops the code. Creates
   * too: another process may hold a negative entry for a code probed before it existed.
   * The request waits until the Bus has the message (coalesced: concurrent writes share one).
   */
  private async published(rows: ShortUrlRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.writeThrough(rows.map((r) => ({ code: r.shortCode, target: targetOf(r), version: r.version })))
    await this.d.invalidator.invalidate(rows.map((r) => r.shortCode))
  }

  private async writeThrough(entries: { code: string; target: RedirectTarget | null; version: number }[]) {
    if (!this.d.shared) return
    try {
      await this.d.shared.putMany(entries)
    } catch (err) {
      // Redis down: readers fall through to PostgreSQL; a stale Redis entry lives until its TTL.
      this.d.log.warn({ err, codes: entries.length }, 'shared cache write-through failed')
    }
  }
}
