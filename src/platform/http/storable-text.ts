/**
 * The edge rule for text PostgreSQL cannot store (U+0000, lone UTF-16 surrogates; see
 * `text/storable.ts`): every route refuses it in its path parameters, query string and body
 * with a 400 naming the field, before validation and before the handler, so that no system
 * hands such text to its store (a 500, or a batch failed for everyone) or has it silently
 * replaced by U+FFFD. A query string whose percent-escapes are not UTF-8 (a surrogate sent as
 * `%ED%A0%80`) is refused the same way instead of being decoded with replacement characters.
 *
 * A route whose body holds a list of items with results of their own (a batch create) names
 * that list in `config.perItemText`: the guard leaves the list's items to the route, which
 * fails each bad item alone (checking it with `findUnstorableText`).
 */
import { isUtf8 } from 'node:buffer'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { type AppError, invalidParams } from '../errors.js'
import { findUnstorableText } from '../text/storable.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The top-level body field holding items that the route checks (and fails) one by one. */
    perItemText?: string
  }
}

/** What is wrong with the field, as the 400's `invalidParams[].reason` says it. */
export const UNSTORABLE_REASON = 'contains U+0000 or a lone UTF-16 surrogate, which cannot be stored'

/** The 400 for unstorable text in a field (`part`: where it was, e.g. `query string`). */
export function unstorableText(name: string, part: string): AppError {
  return invalidParams(
    'UNSTORABLE_TEXT',
    400,
    [{ name, reason: UNSTORABLE_REASON }],
    `${name} (${part}) ${UNSTORABLE_REASON}`,
  )
}

/** The 400 for a query parameter whose percent-escapes are not UTF-8. */
function invalidQueryEncoding(name: string): AppError {
  return invalidParams('INVALID_URL_ENCODING', 400, [
    { name, reason: 'is not valid percent-encoded UTF-8 (an encoded surrogate, a cut sequence, ...)' },
  ])
}

/** Add the guard to every route registered on `app` (and its children) from now on. */
export function installStorableTextGuard(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const existing = route.preValidation
    const hooks = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
    // What the route can hold is known now, not on every request: a path without parameters has none to check.
    const shape: RouteShape = { params: /[:*]/.test(route.url), perItem: route.config?.perItemText }
    const guard = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) =>
      done(unstorableField(request, shape))
    route.preValidation = [guard, ...hooks]
  })
}

/** What a route's requests can hold, from its definition. */
interface RouteShape {
  /** The path has parameters (`:name` or a `*` wildcard). */
  params: boolean
  /** The body field whose items the route checks itself (`config.perItemText`). */
  perItem: string | undefined
}

/**
 * The error for the first field of a request holding text that cannot be stored, or undefined.
 * Only the parts the request has are read: no query string without a `?`, no body without one.
 */
function unstorableField(request: FastifyRequest, shape: RouteShape): AppError | undefined {
  if (shape.params) {
    const params = findUnstorableText(request.params)
    if (params !== undefined) return unstorableText(params || 'path', 'path parameter')
  }
  const queryStart = request.url.indexOf('?')
  if (queryStart >= 0) {
    const badlyEncoded = badlyEncodedQueryKey(request.url)
    if (badlyEncoded !== undefined) return invalidQueryEncoding(badlyEncoded)
    const query = findUnstorableText(request.query)
    if (query !== undefined) return unstorableText(query || 'query', 'query string')
  }
  const body = request.body
  if (body === undefined || body === null) return undefined
  const perItem = shape.perItem
  const checked =
    perItem !== undefined && typeof body === 'object' && !Array.isArray(body) && perItem in body
      ? { ...(body as Record<string, unknown>), [perItem]: undefined }
      : body
  const field = findUnstorableText(checked)
  return field === undefined ? undefined : unstorableText(field || 'body', 'body')
}

/** An escape of a byte >= 0x80: only those can make a query string's bytes invalid UTF-8. */
const HIGH_ESCAPE = /%[89a-f]/i

/** The (decoded) name of the first query parameter whose percent-escapes are not UTF-8, or undefined. */
export function badlyEncodedQueryKey(url: string): string | undefined {
  const start = url.indexOf('?')
  if (start < 0) return undefined
  const query = url.slice(start + 1)
  if (!HIGH_ESCAPE.test(query)) return undefined
  for (const pair of query.split('&')) {
    if (!HIGH_ESCAPE.test(pair) || isUtf8(percentDecodedBytes(pair))) continue
    const rawKey = pair.split('=')[0] ?? ''
    return decodedOr(rawKey)
  }
  return undefined
}

/** A query key as the client meant it, or as sent when it does not decode. */
function decodedOr(rawKey: string): string {
  try {
    return decodeURIComponent(rawKey.replaceAll('+', ' '))
  } catch {
    return rawKey
  }
}

/** The bytes a percent-encoded string stands for (`%XX` as the byte, anything else as its UTF-8). */
function percentDecodedBytes(text: string): Buffer {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      for (const b of Buffer.from(text[i] as string, 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes)
}
