/**
 * Rate limit response headers.
 *
 * IETF (draft-ietf-httpapi-ratelimit-headers, structured fields):
 *   RateLimit-Policy: "default";q=100;w=60     quota q per window of w seconds
 *   RateLimit: "default";r=42;t=17             r units remaining, t seconds until reset
 * Legacy, as @fastify/rate-limit and most APIs send them:
 *   X-RateLimit-Limit: 100, X-RateLimit-Remaining: 42, X-RateLimit-Reset: 17 (seconds)
 * and Retry-After (seconds) on a 429.
 */
import type { RateLimitResult } from './types.js'

export interface HeaderStyle {
  /** RateLimit and RateLimit-Policy (default true). */
  ietf?: boolean
  /** X-RateLimit-Limit/Remaining/Reset (default true). */
  legacy?: boolean
}

/** A policy name as a structured-field string: `"default"`. */
export function sfString(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '')}"`
}

/** Whole seconds, rounded up, from milliseconds. */
export const seconds = (ms: number): number => Math.ceil(ms / 1000)

/** The headers describing `r` under a policy of `windowMs`; `policy` is an already-quoted sf-string. */
export function rateLimitHeaders(
  r: RateLimitResult,
  policy: string,
  windowMs: number,
  style: HeaderStyle = {},
): Record<string, string> {
  const h: Record<string, string> = {}
  const reset = seconds(r.resetMs)
  if (style.ietf !== false) {
    h['ratelimit-policy'] = `${policy};q=${r.limit};w=${seconds(windowMs)}`
    h.ratelimit = `${policy};r=${r.remaining};t=${reset}`
  }
  if (style.legacy !== false) {
    h['x-ratelimit-limit'] = String(r.limit)
    h['x-ratelimit-remaining'] = String(r.remaining)
    h['x-ratelimit-reset'] = String(reset)
  }
  if (!r.allowed) h['retry-after'] = String(Math.max(1, seconds(r.retryAfterMs)))
  return h
}
