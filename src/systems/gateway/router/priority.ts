/**
 * Kong's route ordering (the `traditional_compatible` router of Kong 3.x, kong/router/transform.lua
 * `get_priority`): a route is split into one matcher per path, and matchers are tried in this order,
 * each criterion deciding only when the ones before it tie:
 *
 * 1. how many kinds of condition the route has (methods, hosts, headers, paths): more first;
 * 2. hosts without wildcards before any with one;
 * 3. more header conditions first;
 * 4. regex paths before prefix paths;
 * 5. among regex paths, higher `regex_priority` first;
 * 6. among prefix paths, longer first;
 * 7. then the older route (created_at), then the id, so the order never depends on load order.
 */
import type { Route } from '../config/types.js'

export interface PriorityKey {
  weight: number
  plainHostOnly: boolean
  headerCount: number
  regex: boolean
  regexPriority: number
  length: number
}

export function priorityOf(route: Route, path: string | undefined): PriorityKey {
  const hosts = route.hosts ?? []
  const headerCount = Object.keys(route.headers ?? {}).length
  let weight = 0
  if (route.methods?.length) weight++
  if (hosts.length) weight++
  if (headerCount) weight++
  if (path !== undefined) weight++
  const regex = path?.startsWith('~') ?? false
  return {
    weight,
    plainHostOnly: hosts.length > 0 && hosts.every((h) => !h.includes('*')),
    headerCount,
    regex,
    regexPriority: regex ? route.regex_priority : 0,
    length: path !== undefined && !regex ? path.length : 0,
  }
}

/** Negative when `a` is tried before `b`. */
export function comparePriority(a: PriorityKey, b: PriorityKey): number {
  return (
    b.weight - a.weight ||
    Number(b.plainHostOnly) - Number(a.plainHostOnly) ||
    b.headerCount - a.headerCount ||
    Number(b.regex) - Number(a.regex) ||
    b.regexPriority - a.regexPriority ||
    b.length - a.length
  )
}
