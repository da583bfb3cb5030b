/**
 * Picking a target of an upstream (Kong's load-balancing algorithms):
 * - round-robin: smooth weighted round robin (nginx's), so a weight 3:1 pair goes a a b a, not a a a b;
 * - least-connections: fewest requests in flight per unit of weight;
 * - latency: lowest smoothed response time times (in flight + 1), per unit of weight;
 * - consistent-hashing: a hash of the consumer, client IP, a header, a cookie, the path or a query
 *   argument (with Kong's fallback) on a weighted ring; a missing hash cookie is created (sticky).
 * Unhealthy targets, weight-0 targets and targets a retry already tried are skipped.
 */

import type { Upstream } from '../config/types.js'
import { HashRing, hash32, type HashRing as Ring } from './hash-ring.js'
import type { TargetState } from './target.js'

export interface HashFacts {
  consumerId: string | undefined
  ip: string
  header(name: string): string | undefined
  cookie(name: string): string | undefined
  path: string
  query(name: string): string | undefined
}

export interface Pick {
  target: TargetState
  /** A cookie to set on the response (consistent hashing on a cookie the client did not send). */
  setCookie?: string
}

export class Balancer {
  private readonly ring: Ring<TargetState> | undefined

  constructor(
    readonly upstream: Upstream | undefined,
    readonly targets: TargetState[],
  ) {
    if (upstream?.algorithm === 'consistent-hashing') this.ring = new HashRing(targets, upstream.slots)
  }

  /** Whether any target could take a request now. */
  get available(): boolean {
    return this.targets.some((t) => t.usable)
  }

  pick(facts: HashFacts, tried: ReadonlySet<TargetState>): Pick | undefined {
    const usable = (t: TargetState) => t.usable && !tried.has(t)
    const u = this.upstream
    switch (u?.algorithm ?? 'round-robin') {
      case 'least-connections':
        return this.best(usable, (t) => (t.active + 1) / t.weight)
      case 'latency':
        return this.best(usable, (t) => ((t.ewmaMs || 1) * (t.active + 1)) / t.weight)
      case 'consistent-hashing': {
        let setCookie: string | undefined
        let value = this.hashValue(u!.hash_on, u!.hash_on_header, u!.hash_on_query_arg, facts)
        if (value === undefined && u!.hash_on === 'cookie' && u!.hash_on_cookie) {
          value = crypto.randomUUID()
          setCookie = `${u!.hash_on_cookie}=${value}; Path=${u!.hash_on_cookie_path}`
        }
        value ??= this.hashValue(u!.hash_fallback, u!.hash_fallback_header, u!.hash_fallback_query_arg, facts)
        if (value === undefined) return this.roundRobin(usable)
        const target = this.ring!.pick(hash32(value), usable)
        return target && { target, setCookie }
      }
      default:
        return this.roundRobin(usable)
    }
  }

  private hashValue(
    on: Upstream['hash_on'],
    header: string | null,
    arg: string | null,
    f: HashFacts,
  ): string | undefined {
    switch (on) {
      case 'consumer':
        return f.consumerId
      case 'ip':
        return f.ip
      case 'header':
        return header ? f.header(header.toLowerCase()) : undefined
      case 'cookie':
        return this.upstream?.hash_on_cookie ? f.cookie(this.upstream.hash_on_cookie) : undefined
      case 'path':
        return f.path
      case 'query_arg':
        return arg ? f.query(arg) : undefined
      default:
        return undefined
    }
  }

  private best(usable: (t: TargetState) => boolean, cost: (t: TargetState) => number): Pick | undefined {
    let best: TargetState | undefined
    let bestCost = Number.POSITIVE_INFINITY
    for (const t of this.targets) {
      if (!usable(t)) continue
      const c = cost(t)
      if (c < bestCost) {
        best = t
        bestCost = c
      }
    }
    return best && { target: best }
  }

  private roundRobin(usable: (t: TargetState) => boolean): Pick | undefined {
    let total = 0
    let best: TargetState | undefined
    for (const t of this.targets) {
      if (!usable(t)) continue
      t.current += t.weight
      total += t.weight
      if (!best || t.current > best.current) best = t
    }
    if (!best) return undefined
    best.current -= total
    return { target: best }
  }
}
