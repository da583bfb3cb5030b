/**
 * From a schema-valid request body to domain values: dates parsed, tags
 * normalized, the long URL checked against the URL policy, the slug
 * checked. Every refusal is a Shlink error naming the field, so a client
 * can highlight it (`invalidElements`).
 */
import type { Static } from '@sinclair/typebox'
import { checkSlug } from './codes.js'
import type { ShortUrlPatch } from './ports.js'
import type { ShortUrlCreation, ShortUrlEdition } from './schemas.js'
import { ShlinkErrors } from './shlink-errors.js'
import { checkLongUrl, type UrlPolicyOptions } from './url-policy.js'

export const MAX_TITLE_LENGTH = 512

/** ISO-8601 date or date-time, with an optional offset (`Z`, `+02:00`, `+0200`). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i

/** Parse an ISO-8601 date; a date-time without an offset is UTC (the server's zone must not matter). */
export function parseDate(raw: string, field: string): Date {
  const text = raw.trim()
  if (!ISO_DATE.test(text)) throw ShlinkErrors.invalidData([field], `${field} must be an ISO-8601 date`)
  let normalized = text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2')
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(normalized)) normalized += 'Z'
  const d = new Date(normalized)
  const year = d.getUTCFullYear()
  if (Number.isNaN(d.getTime()) || year < 1 || year > 9999)
    throw ShlinkErrors.invalidData([field], `${field} is not a valid date`)
  return d
}

function optionalDate(raw: string | null | undefined, field: string): Date | null | undefined {
  if (raw === undefined) return undefined
  if (raw === null || raw.trim() === '') return null
  return parseDate(raw, field)
}

/** Text without NUL characters, which PostgreSQL text cannot hold (no client means to send them). */
export function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text
}

/** Shlink's tag normalization: trimmed, lower-case, spaces as dashes; empty ones dropped, duplicates merged. */
export function normalizeTags(tags: readonly string[]): string[] {
  const out = new Set<string>()
  for (const t of tags) {
    const n = clean(t).trim().toLowerCase().replace(/\s+/g, '-')
    if (n) out.add(n)
  }
  return [...out]
}

function title(raw: string | null | undefined): string | null | undefined {
  if (raw === undefined || raw === null) return raw
  const t = clean(raw).trim()
  return t === '' ? null : t.slice(0, MAX_TITLE_LENGTH)
}

function checkUrl(raw: string, policy: UrlPolicyOptions): string {
  const r = checkLongUrl(raw, policy)
  if (!r.ok) throw ShlinkErrors.invalidData(['longUrl'], r.reason)
  return r.url
}

function checkRange(validSince: Date | null | undefined, validUntil: Date | null | undefined): void {
  if (validSince && validUntil && validUntil.getTime() < validSince.getTime())
    throw ShlinkErrors.invalidData(['validUntil'], 'validUntil is before validSince')
}

export interface CreationInput {
  longUrl: string
  customSlug: string | undefined
  findIfExists: boolean
  validSince: Date | null
  validUntil: Date | null
  maxVisits: number | null
  tags: string[]
  title: string | null
  crawlable: boolean
  forwardQuery: boolean
  shortCodeLength: number
  /** Which optional fields the request gave (findIfExists matches on exactly those). */
  given: { validSince: boolean; validUntil: boolean; maxVisits: boolean; tags: boolean }
}

export interface InputContext {
  policy: UrlPolicyOptions
  defaultCodeLength: number
  defaultDomain: () => string
}

export function creationInput(body: Static<typeof ShortUrlCreation>, ctx: InputContext): CreationInput {
  // Only the default domain exists; naming another must not silently create the link elsewhere.
  if (body.domain && body.domain.toLowerCase() !== ctx.defaultDomain().toLowerCase())
    throw ShlinkErrors.invalidData(
      ['domain'],
      `only the default domain ${ctx.defaultDomain()} is served here`,
    )
  const longUrl = checkUrl(body.longUrl, ctx.policy)
  let customSlug: string | undefined
  if (body.customSlug !== undefined) {
    const s = checkSlug(body.customSlug)
    if (!s.ok) throw ShlinkErrors.invalidData(['customSlug'], s.reason)
    customSlug = s.slug
  }
  const validSince = optionalDate(body.validSince, 'validSince') ?? null
  const validUntil = optionalDate(body.validUntil, 'validUntil') ?? null
  checkRange(validSince, validUntil)
  return {
    longUrl,
    customSlug,
    findIfExists: body.findIfExists ?? false,
    validSince,
    validUntil,
    maxVisits: body.maxVisits ?? null,
    tags: normalizeTags(body.tags ?? []),
    title: title(body.title) ?? null,
    crawlable: body.crawlable ?? false,
    forwardQuery: body.forwardQuery ?? true,
    shortCodeLength: body.shortCodeLength ?? ctx.defaultCodeLength,
    given: {
      validSince: body.validSince !== undefined,
      validUntil: body.validUntil !== undefined,
      maxVisits: body.maxVisits !== undefined,
      tags: body.tags !== undefined,
    },
  }
}

export function editionInput(body: Static<typeof ShortUrlEdition>, ctx: InputContext): ShortUrlPatch {
  const patch: ShortUrlPatch = {}
  if (body.longUrl !== undefined) patch.longUrl = checkUrl(body.longUrl, ctx.policy)
  const validSince = optionalDate(body.validSince, 'validSince')
  const validUntil = optionalDate(body.validUntil, 'validUntil')
  checkRange(validSince, validUntil)
  if (validSince !== undefined) patch.validSince = validSince
  if (validUntil !== undefined) patch.validUntil = validUntil
  if (body.maxVisits !== undefined) patch.maxVisits = body.maxVisits
  if (body.tags !== undefined) patch.tags = normalizeTags(body.tags)
  if (body.title !== undefined) patch.title = title(body.title) ?? null
  if (body.crawlable !== undefined) patch.crawlable = body.crawlable
  if (body.forwardQuery !== undefined) patch.forwardQuery = body.forwardQuery
  return patch
}
