/**
 * Route matching, as Kong does it: every condition a route sets must hold (method, host with one
 * leading or trailing wildcard, header values, path prefix or anchored regex), and the first
 * matcher in Kong's priority order wins (priority.ts). The table is built once per configuration
 * snapshot; a lookup walks it in order and stops at the first match.
 */
import { compileRegexPath } from '../config/regex-path.js'
import type { GatewayConfig, Route, Service } from '../config/types.js'
import { comparePriority, type PriorityKey, priorityOf } from './priority.js'

export interface RequestFacts {
  method: string
  /** Host name without port, lower case. */
  host: string
  /** The Host header's port, or the default port of the scheme. */
  port: number
  /** The normalized path (no query). */
  path: string
  headers: Record<string, string | string[] | undefined>
}

export interface RouteMatch {
  route: Route
  service: Service | undefined
  /** The part of the path the route's path matched (prefix, or the regex's match). */
  matched: string
  /** Named and numbered captures of a regex path. */
  captures: Record<string, string> | undefined
}

type HostTest = (host: string, port: number) => boolean

interface Matcher {
  route: Route
  service: Service | undefined
  key: PriorityKey
  methods: Set<string> | undefined
  hosts: HostTest[] | undefined
  headers: [name: string, tests: ((v: string) => boolean)[]][]
  prefix: string | undefined
  regex: RegExp | undefined
}

function hostTest(pattern: string): HostTest {
  const m = /^(.*?)(?::(\d+))?$/.exec(pattern.toLowerCase())!
  const name = m[1]!
  const port = m[2] ? Number(m[2]) : undefined
  const portOk = (p: number) => port === undefined || p === port
  if (name.startsWith('*.')) {
    const suffix = name.slice(1)
    return (h, p) => h.length > suffix.length && h.endsWith(suffix) && portOk(p)
  }
  if (name.endsWith('.*')) {
    const prefix = name.slice(0, -1)
    return (h, p) => h.length > prefix.length && h.startsWith(prefix) && portOk(p)
  }
  return (h, p) => h === name && portOk(p)
}

function headerTest(value: string): (v: string) => boolean {
  if (value.startsWith('~*')) {
    const re = new RegExp(value.slice(2), 'i')
    return (v) => re.test(v)
  }
  const want = value.toLowerCase()
  return (v) => v.toLowerCase() === want
}

function headerValues(v: string | string[] | undefined): string[] {
  if (v === undefined) return []
  const all = Array.isArray(v) ? v : [v]
  return all.flatMap((x) => [x, ...(x.includes(',') ? x.split(',').map((p) => p.trim()) : [])])
}

export class Router {
  private readonly matchers: Matcher[]

  constructor(cfg: GatewayConfig) {
    const services = new Map(cfg.services.map((s) => [s.id, s]))
    const out: (Matcher & { order: [number, string] })[] = []
    for (const route of cfg.routes) {
      const service = route.service ? services.get(route.service) : undefined
      const base = {
        route,
        service,
        methods: route.methods?.length ? new Set(route.methods) : undefined,
        hosts: route.hosts?.length ? route.hosts.map(hostTest) : undefined,
        headers: Object.entries(route.headers ?? {}).map(
          ([k, vs]) => [k, vs.map(headerTest)] as [string, ((v: string) => boolean)[]],
        ),
        order: [route.created_at, route.id] as [number, string],
      }
      const paths = route.paths?.length ? route.paths : [undefined]
      for (const p of paths)
        out.push({
          ...base,
          key: priorityOf(route, p),
          prefix: p !== undefined && !p.startsWith('~') ? p : undefined,
          regex: p?.startsWith('~') ? compileRegexPath(p, 'path') : undefined,
        })
    }
    out.sort(
      (a, b) =>
        comparePriority(a.key, b.key) ||
        a.order[0] - b.order[0] ||
        (a.order[1] < b.order[1] ? -1 : a.order[1] > b.order[1] ? 1 : 0),
    )
    this.matchers = out
  }

  get size(): number {
    return this.matchers.length
  }

  match(req: RequestFacts): RouteMatch | undefined {
    for (const m of this.matchers) {
      if (m.methods && !m.methods.has(req.method)) continue
      if (m.hosts && !m.hosts.some((t) => t(req.host, req.port))) continue
      let headersOk = true
      for (const [name, tests] of m.headers) {
        const values = headerValues(req.headers[name])
        if (!values.some((v) => tests.some((t) => t(v)))) {
          headersOk = false
          break
        }
      }
      if (!headersOk) continue
      if (m.prefix !== undefined) {
        if (!req.path.startsWith(m.prefix)) continue
        return { route: m.route, service: m.service, matched: m.prefix, captures: undefined }
      }
      if (m.regex) {
        const r = m.regex.exec(req.path)
        if (!r) continue
        const captures: Record<string, string> = {}
        r.forEach((v, i) => {
          if (i > 0 && v !== undefined) captures[String(i)] = v
        })
        Object.assign(captures, r.groups ?? {})
        return { route: m.route, service: m.service, matched: r[0], captures }
      }
      return { route: m.route, service: m.service, matched: '', captures: undefined }
    }
    return undefined
  }
}

/**
 * The path the upstream receives (Kong's `path_handling` v0, the default, and v1): the service's
 * path, then the request path without the matched part when `strip_path` is on.
 */
export function upstreamPath(
  route: Route,
  service: Service | undefined,
  reqPath: string,
  matched: string,
): string {
  let rest = route.strip_path && matched ? reqPath.slice(matched.length) : reqPath
  const base = service?.path ?? null
  if (route.path_handling === 'v1') {
    if (base === null) return rest.startsWith('/') ? rest : `/${rest}`
    if (rest === '' || rest === '/') return base
    return base.endsWith('/') && rest.startsWith('/') ? base + rest.slice(1) : base + rest
  }
  if (!rest.startsWith('/')) rest = `/${rest}`
  if (base === null || base === '/') return rest
  if (rest === '/')
    return reqPath.endsWith('/') && !base.endsWith('/') && matched !== reqPath ? `${base}/` : base
  return base.endsWith('/') ? base + rest.slice(1) : base + rest
}
