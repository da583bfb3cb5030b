/**
 * Response headers for Envoy to add (RATE_LIMITER_RESPONSE_HEADERS), as
 * envoyproxy/ratelimit does with LIMIT_RESPONSE_HEADERS_ENABLED: the IETF
 * RateLimit and RateLimit-Policy fields of the descriptor closest to its
 * limit, so the client sees the limit that will stop it first.
 */
import { rateLimitHeaders, sfString } from '../../platform/rate-limit/headers.js'
import type { DescriptorStatus, RateLimitResponse } from './engine.js'

/** The headers of the most constrained limited descriptor, or undefined when none has a limit. */
export function envoyResponseHeaders(res: RateLimitResponse): { key: string; value: string }[] | undefined {
  let worst: DescriptorStatus | undefined
  for (const s of res.statuses) {
    if (s.limit === undefined || s.periodMs === undefined) continue
    if (!worst || s.code === 'OVER_LIMIT' || s.limitRemaining < worst.limitRemaining) {
      if (worst?.code === 'OVER_LIMIT' && s.code !== 'OVER_LIMIT') continue
      worst = s
    }
  }
  if (!worst) return undefined
  const allowed = worst.code === 'OK'
  const headers = rateLimitHeaders(
    {
      allowed,
      remaining: worst.limitRemaining,
      limit: worst.limit!,
      resetMs: worst.durationUntilResetMs,
      retryAfterMs: allowed ? 0 : worst.durationUntilResetMs,
    },
    sfString(worst.rule ?? 'default'),
    worst.periodMs!,
    { ietf: true, legacy: false },
  )
  return Object.entries(headers).map(([key, value]) => ({ key, value }))
}
