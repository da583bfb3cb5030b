/**
 * The upstream call: pick a target, stream the request to it and its answer to the client, report
 * the outcome to passive health checks, and retry on another target when the call failed before any
 * answer came, only for idempotent methods whose body (if any) is not a consumed stream, at most
 * `service.retries` times (Kong's default 5).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Balancer, HashFacts } from '../balancer/balancer.js'
import { type HealthEvents, type Outcome, record } from '../balancer/health.js'
import type { TargetState } from '../balancer/target.js'
import type { Service } from '../config/types.js'
import { MESSAGES } from './errors.js'
import type { HeaderMap } from './headers.js'
import type { Pools } from './pools.js'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

export interface ForwardRequest {
  req: IncomingMessage
  res: ServerResponse
  service: Service
  balancer: Balancer
  hash: HashFacts
  method: string
  path: string
  headers: HeaderMap
  /** Host header for the upstream: the client's (preserve_host) or undefined for the target's. */
  host: string | undefined
  body: Buffer | IncomingMessage | undefined
  /** Called with the upstream's status and headers before they are written; returns what to send. */
  onHeaders(status: number, headers: HeaderMap, upstreamMs: number): HeaderMap
  pools: Pools
  health: HealthEvents
  /** Fires 'abort' when the client left (undici takes an emitter as a signal). */
  signal: import('node:events').EventEmitter & { aborted: boolean }
}

export type ForwardResult =
  | { ok: true; target: TargetState; status: number }
  | { ok: false; status: number; message: string; target: TargetState | undefined }

function outcomeOf(err: unknown): { outcome: Outcome; status: number; message: string } {
  const code = (err as { code?: string }).code ?? ''
  if (TIMEOUTS.has(code)) return { outcome: { kind: 'timeout' }, status: 504, message: MESSAGES.timeout }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { outcome: { kind: 'tcp' }, status: 503, message: MESSAGES.nameResolution }
  return { outcome: { kind: 'tcp' }, status: 502, message: MESSAGES.badGateway }
}

export async function forward(f: ForwardRequest): Promise<ForwardResult> {
  const passive = f.balancer.upstream?.healthchecks.passive
  const retryable = IDEMPOTENT.has(f.method) && !(f.body && !Buffer.isBuffer(f.body))
  const attempts = 1 + (retryable ? f.service.retries : 0)
  const tried = new Set<TargetState>()
  let last: ForwardResult | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    let pick = f.balancer.pick(f.hash, tried)
    if (!pick && tried.size > 0) {
      // Every usable target was tried once: go round again (a target may be back).
      tried.clear()
      pick = f.balancer.pick(f.hash, tried)
    }
    if (!pick) return last ?? { ok: false, status: 503, message: MESSAGES.noPeer, target: undefined }
    const t = pick.target
    tried.add(t)
    const headers: HeaderMap = {
      ...f.headers,
      host: f.balancer.upstream?.host_header ?? f.host ?? hostHeader(t),
    }
    const started = performance.now()
    let answered = false
    t.active++
    try {
      const opts: Dispatcher.RequestOptions = {
        path: f.path,
        method: f.method as Dispatcher.HttpMethod,
        headers: headers as Record<string, string>,
        body: f.body ?? null,
        headersTimeout: f.service.read_timeout,
        bodyTimeout: f.service.read_timeout,
        signal: f.signal,
      }
      let status = 0
      await f.pools
        .get(t.origin, f.service.connect_timeout)
        .stream(opts, ({ statusCode, headers: upstream }) => {
          answered = true
          status = statusCode
          const ms = performance.now() - started
          t.observeLatency(ms)
          const out = f.onHeaders(statusCode, upstream as HeaderMap, ms)
          if (pick.setCookie) out['set-cookie'] = [...toArray(out['set-cookie']), pick.setCookie]
          f.res.writeHead(statusCode, out as Record<string, string>)
          return f.res
        })
      if (passive) record(t, { kind: 'http', status }, passive, f.health)
      return { ok: true, target: t, status }
    } catch (err) {
      const o = outcomeOf(err)
      if (passive && !f.signal.aborted) record(t, o.outcome, passive, f.health)
      last = { ok: false, status: o.status, message: o.message, target: t }
      // Once bytes went to the client, or the client left, there is nothing to retry.
      if (answered || f.signal.aborted) return last
    } finally {
      t.active--
    }
  }
  return last!
}

function toArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function hostHeader(t: TargetState): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host
  return t.port === 80 ? host : `${host}:${t.port}`
}
