/**
 * The upstream call: pick a target, stream the request to it and its answer to the client, report
 * the outcome to passive health checks and the target's circuit breaker, and retry on another
 * target when the call failed before any answer came. Retried: methods in `retryMethods` (the
 * idempotent ones by default) whose body (if any) is not a consumed stream, at most
 * `service.retries` times (Kong's default 5), and only while the service's retry budget allows.
 * Kong's timeouts: `connect_timeout` (the pool's connect), `read_timeout` (until the answer's head,
 * and between two reads of its body), `write_timeout` (between two writes of a streamed request
 * body: an upstream that stops reading, or a client that stops sending, ends in 504).
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Balancer, HashFacts } from '../balancer/balancer.js'
import { BrokenCircuitError } from '../balancer/breaker.js'
import { type HealthEvents, type Outcome, record } from '../balancer/health.js'
import type { RetryBudget } from '../balancer/retry-budget.js'
import type { TargetState } from '../balancer/target.js'
import type { Service } from '../config/types.js'
import { MESSAGES } from './errors.js'
import type { HeaderMap } from './headers.js'
import type { Pools } from './pools.js'

export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * A one-shot abort signal in the shape undici accepts (an emitter of 'abort' with `aborted`).
 * Not an AbortController: the EventTarget behind one cost about 4% of the proxy's CPU in profiles.
 */
export class AbortEmitter extends EventEmitter {
  aborted = false
  fire(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }
}

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
  /** The service's retry budget. */
  budget: RetryBudget
  /** Methods that may be sent again after a failure before any answer. */
  retryMethods: ReadonlySet<string>
  /** Fires 'abort' when the client left. */
  signal: AbortEmitter
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

/**
 * For a streamed body: an abort signal that also fires when no byte of it moved for `ms`. Progress
 * is read from the client socket's byte count: listening to the body's data would consume it.
 */
function writeWatch(body: IncomingMessage, client: AbortEmitter, ms: number) {
  const signal = new AbortEmitter()
  const state = { timedOut: false }
  const onClient = () => signal.fire()
  client.once('abort', onClient)
  let bytes = -1
  let moved = performance.now()
  const tick = setInterval(
    () => {
      if (body.readableEnded) return clearInterval(tick)
      const now = performance.now()
      const b = body.socket?.bytesRead ?? 0
      if (b !== bytes) {
        bytes = b
        moved = now
      } else if (now - moved >= ms) {
        clearInterval(tick)
        state.timedOut = true
        signal.fire()
      }
    },
    Math.max(10, Math.min(ms / 4, 1_000)),
  )
  const stop = () => {
    clearInterval(tick)
    client.off('abort', onClient)
  }
  return { signal, state, stop }
}

export async function forward(f: ForwardRequest): Promise<ForwardResult> {
  const passive = f.balancer.upstream?.healthchecks.passive
  const streamed = f.body !== undefined && !Buffer.isBuffer(f.body)
  const retryable = f.retryMethods.has(f.method) && !streamed
  const attempts = 1 + (retryable ? f.service.retries : 0)
  const tried = new Set<TargetState>()
  const watch = streamed
    ? writeWatch(f.body as IncomingMessage, f.signal, f.service.write_timeout)
    : undefined
  const signal = watch?.signal ?? f.signal
  let last: ForwardResult | undefined
  f.budget.request()
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      // A retry after an upstream failure spends the budget; one after a refusal by an open breaker does not.
      if (attempt > 0 && last?.target && !f.budget.tryRetry()) return last
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
          signal,
        }
        let status = 0
        const call = async () => {
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
          return status
        }
        if (t.breaker) await t.breaker.execute(call)
        else await call()
        if (passive) record(t, { kind: 'http', status }, passive, f.health)
        return { ok: true, target: t, status }
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          // Its breaker is half-open with a probe under way: nothing was sent; try another target.
          last = { ok: false, status: 503, message: MESSAGES.noPeer, target: undefined }
          continue
        }
        if (watch?.state.timedOut) return { ok: false, status: 504, message: MESSAGES.timeout, target: t }
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
  } finally {
    watch?.stop()
  }
}

function toArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function hostHeader(t: TargetState): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host
  return t.port === 80 ? host : `${host}:${t.port}`
}
