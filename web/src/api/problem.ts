/**
 * RFC 9457 problem+json as the server sends it, and the per-field messages
 * a form shows next to its inputs. Three list shapes name fields: the
 * platform's validation `errors: [{path, message}]` (path `body/longUrl`),
 * RFC 9457's example `invalidParams: [{name, reason}]`, and Shlink's
 * `invalidElements: ['longUrl']` (names only; the detail, or our `reason` extension, says why).
 */

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  code?: string
  [extension: string]: unknown
}

/** The body as a problem document, if it looks like one. */
export function asProblem(body: unknown): Problem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const p = body as Problem
  return typeof p.title === 'string' || typeof p.detail === 'string' || typeof p.type === 'string'
    ? p
    : undefined
}

/** The one sentence to show for a problem: its detail, else its title. */
export function problemMessage(p: Problem): string {
  return p.detail || p.title || (p.status ? `HTTP ${p.status}` : 'The request failed')
}

/** `body/tags/0` -> `tags`: the top-level field a validation path points at. */
function fieldOfPath(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean)
  if (parts[0] === 'body' || parts[0] === 'querystring' || parts[0] === 'params') parts.shift()
  return parts[0]
}

/** Messages keyed by field name, from whichever field list the problem carries. */
export function fieldErrors(p: Problem): Record<string, string> {
  const out: Record<string, string> = {}
  const put = (field: unknown, message: unknown) => {
    if (typeof field === 'string' && field && !(field in out))
      out[field] = typeof message === 'string' && message ? message : problemMessage(p)
  }
  if (Array.isArray(p.errors))
    for (const e of p.errors as { path?: unknown; message?: unknown }[])
      if (typeof e?.path === 'string') put(fieldOfPath(e.path), e.message)
  if (Array.isArray(p.invalidParams))
    for (const e of p.invalidParams as { name?: unknown; reason?: unknown }[]) put(e?.name, e?.reason)
  // Shlink's detail is one fixed sentence for every field; our URL shortener adds why in `reason`.
  if (Array.isArray(p.invalidElements)) for (const name of p.invalidElements) put(name, p.reason)
  return out
}
