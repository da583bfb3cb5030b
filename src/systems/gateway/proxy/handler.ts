/**
 * The request pipeline (README, "A request's way through"):
 * guard -> route -> plugins' access phase (Kong's priority order, each plugin's most specific
 * configuration for the route, service and consumer known so far) -> balancer -> upstream, streamed
 * both ways -> plugins' response headers -> client.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../../platform/telemetry/logger.js'
import type { HashFacts } from '../balancer/balancer.js'
import type { HealthEvents } from '../balancer/health.js'
import type { RetryBudget } from '../balancer/retry-budget.js'
import type { RequestState } from '../plugins/types.js'
import { upstreamPath } from '../router/router.js'
import { runAccess } from './access.js'
import { MESSAGES, SERVER_HEADER, sendError } from './errors.js'
import { AbortEmitter, forward } from './forward.js'
import { endToEnd, type HeaderMap, setForwarded, type TrustedProxies } from './headers.js'
import type { Pools } from './pools.js'
import { guardRequest } from './request-guard.js'
import type { Snapshot } from './snapshot.js'

export interface ProxyDeps {
  snapshot(): Snapshot
  pools: Pools
  health: HealthEvents
  trusted: TrustedProxies
  /** The proxy listener's port (X-Forwarded-Port). */
  port(): number
  observe(workspace: string, route: string, service: string, status: number, ms: number): void
  log: Logger
  /** The retry budget of a service (by id), kept across reloads. */
  budget(serviceId: string): RetryBudget
  /** Methods retried on another target after a failure before any answer. */
  retryMethods: ReadonlySet<string>
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export function proxyHandler(deps: ProxyDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now()
    const requestId = randomUUID().replaceAll('-', '')
    const g = guardRequest(req)
    if (!g.ok) {
      // The connection's framing cannot be trusted after such a request: answer, then close it
      // without reading what follows (it could be a second, smuggled request).
      res.once('finish', () => req.socket.destroy())
      sendError(res, g.status, `${MESSAGES.badRequest}: ${g.reason}`, requestId, { connection: 'close' })
      deps.observe('', '', '', g.status, performance.now() - started)
      return
    }
    const snap = deps.snapshot()
    const hostHeader = req.headers.host ?? ''
    const hm = /^(.*?)(?::(\d+))?$/.exec(hostHeader.toLowerCase())!
    const match = snap.router.match({
      method: req.method ?? 'GET',
      host: hm[1]!.replace(/\.$/, ''),
      port: hm[2] ? Number(hm[2]) : 80,
      path: g.path,
      headers: req.headers,
    })
    if (!match) {
      req.resume()
      sendError(res, 404, MESSAGES.noRoute, requestId)
      deps.observe('', '', '', 404, performance.now() - started)
      return
    }
    const { route, service } = match
    const ws = snap.workspaceOf(route.id)
    const remote = req.socket.remoteAddress ?? ''
    const trusted = deps.trusted.trusts(remote)
    const clientIp = deps.trusted.clientIp(remote, req.headers['x-forwarded-for'])
    const upstreamHeaders = endToEnd(req.headers)
    const st: RequestState = {
      req,
      route,
      service,
      clientIp,
      path: g.path,
      query: g.query,
      upstreamHeaders,
      responseHeaders: {},
      consumer: undefined,
      credential: undefined,
      body: undefined,
      lookup: ws.lookup,
      workspace: ws.name,
    }
    const done = (status: number) =>
      deps.observe(ws.name, route.id, service?.id ?? '', status, performance.now() - started)

    if (!route.protocols.includes('http')) {
      req.resume()
      sendError(res, route.https_redirect_status_code, MESSAGES.useHttps, requestId, {
        location: `https://${hostHeader}${req.url}`,
      })
      return done(route.https_redirect_status_code)
    }

    // Access phase: plugins in Kong's priority order, each resolved with the consumer known so far.
    const { ran, exit } = await runAccess(ws, st, deps.log)
    if (exit) {
      req.resume()
      if (exit === 'error') sendError(res, 500, MESSAGES.unexpected, requestId)
      else
        sendError(
          res,
          exit.status,
          exit.message,
          requestId,
          { ...st.responseHeaders, ...exit.headers },
          exit.body,
        )
      return done(exit === 'error' ? 500 : exit.status)
    }

    if (!service) {
      req.resume()
      sendError(res, 503, MESSAGES.noService, requestId)
      return done(503)
    }
    const balancer = snap.balancers.get(service.id)!
    const path = upstreamPath(route, service, g.path, match.matched)
    setForwarded(upstreamHeaders, {
      remote,
      clientIp,
      trusted,
      host: hostHeader,
      port: deps.port(),
      path: g.path,
      prefix: route.strip_path && match.matched ? match.matched : undefined,
    })
    const hash: HashFacts = {
      consumerId: st.consumer?.id,
      ip: clientIp,
      header: (n) => {
        const v = req.headers[n]
        return Array.isArray(v) ? v.join(',') : v
      },
      cookie: (n) => cookieOf(req.headers.cookie, n),
      path: g.path,
      query: (n) => new URLSearchParams(st.query).get(n) ?? undefined,
    }
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
    // Aborts the upstream call when the client goes away first.
    const abort = new AbortEmitter()
    res.once('close', () => {
      if (!res.writableFinished) abort.fire()
    })
    const result = await forward({
      req,
      res,
      service,
      balancer,
      hash,
      method: req.method ?? 'GET',
      path: st.query ? `${path}?${st.query}` : path,
      headers: upstreamHeaders,
      host: route.preserve_host ? hostHeader : undefined,
      body: st.body ?? (hasBody ? req : undefined),
      pools: deps.pools,
      health: deps.health,
      budget: deps.budget(service.id),
      retryMethods: deps.retryMethods,
      signal: abort,
      onHeaders(status, upstream, upstreamMs) {
        const out = endToEnd(upstream)
        for (const p of ran) p.response?.(st, out)
        Object.assign(out, st.responseHeaders)
        const via = out.via
        out.via = via ? `${via}, 1.1 ${SERVER_HEADER}` : `1.1 ${SERVER_HEADER}`
        out['x-kong-upstream-latency'] = String(Math.round(upstreamMs))
        out['x-kong-proxy-latency'] = String(
          Math.max(0, Math.round(performance.now() - started - upstreamMs)),
        )
        out['x-kong-request-id'] = requestId
        if (status >= 500) res.setHeader('x-kong-upstream-status', String(status))
        return out
      },
    })
    if (!result.ok) {
      if (!abort.aborted) {
        req.resume()
        sendError(res, result.status, result.message, requestId, st.responseHeaders)
      }
      return done(result.status)
    }
    done(result.status)
  }
}

export type { HeaderMap }
