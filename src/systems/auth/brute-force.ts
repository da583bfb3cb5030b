/**
 * Brute-force protection of the login form, on the platform rate-limit
 * library. Failed logins are counted per account and per client IP in
 * tiers whose windows grow 4x and whose allowances grow 2x: 5 failures in a
 * minute lock the account for up to a minute, 10 in 4 minutes for up to 4,
 * 20 in 16 minutes, ... so a sustained guesser gets exponentially fewer
 * tries. A locked login is answered exactly like a wrong password (plus how
 * long to wait), whether or not the email exists, and an attempt while
 * locked is not even checked against the password.
 */

import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { createRateLimiter, type RateLimiter } from '../../platform/rate-limit/index.js'

export interface BruteForceOptions {
  /** Failures per account in the first tier (AUTH_LOGIN_ATTEMPTS); the per-IP tiers allow 4x. */
  attempts: number
  /** The first tier's window (AUTH_LOGIN_LOCKOUT_S), in ms. */
  lockoutMs: number
  /** Shared by every process when set; otherwise this process counts alone. */
  redis?: Redis
  /** Key namespace of the counters (default `auth-login`; second-factor codes count apart). */
  namespace?: string
}

const TIERS = 6
const DAY_MS = 86_400_000

interface Tier {
  account: RateLimiter
  ip: RateLimiter
}

/** The account key: a hash, so Redis and memory never hold the email itself. */
function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)
}

export class LoginThrottle {
  private readonly tiers: Tier[] = []

  constructor(opts: BruteForceOptions) {
    for (let k = 0; k < TIERS; k++) {
      const periodMs = Math.min(opts.lockoutMs * 4 ** k, DAY_MS)
      const store = opts.redis
        ? { redis: opts.redis, namespace: `${opts.namespace ?? 'auth-login'}-${k}` }
        : ('memory' as const)
      const make = (limit: number) =>
        createRateLimiter({ algorithm: 'sliding-window-counter', limit, periodMs, store })
      this.tiers.push({ account: make(opts.attempts * 2 ** k), ip: make(opts.attempts * 4 * 2 ** k) })
    }
  }

  /** 0 when a login may be tried now; otherwise milliseconds to wait. `email`: the account's key. */
  async waitMs(email: string, ip: string): Promise<number> {
    const key = accountKey(email)
    let wait = 0
    for (const t of this.tiers) {
      const [a, i] = await Promise.all([t.account.peek(key), t.ip.peek(ip)])
      wait = Math.max(wait, a.retryAfterMs, i.retryAfterMs)
    }
    return wait
  }

  /** Count a failed login against the account and the IP. */
  async failed(email: string, ip: string): Promise<void> {
    const key = accountKey(email)
    await Promise.all(this.tiers.flatMap((t) => [t.account.consume(key), t.ip.consume(ip)]))
  }

  /** A successful login clears the account's failures (not the IP's: one IP may guess many accounts). */
  async succeeded(email: string): Promise<void> {
    const key = accountKey(email)
    await Promise.all(this.tiers.map((t) => t.account.reset(key)))
  }
}
