/**
 * The built-in `http` task, as Google Cloud Tasks and QStash offer it: the
 * job POSTs `payload.body` (JSON) to `payload.url` with `payload.headers`;
 * a 2xx completes the attempt, anything else (or no answer within the
 * timeout) fails it and the queue retries with backoff. This is how a
 * service written in any language consumes the queue.
 *
 * Every request carries `Blueprints-Signature: t=<unix seconds>,v1=<hex>`,
 * the HMAC-SHA256 of `<t>.<body>` under the installation's signing secret,
 * so the receiver can check it came from us and is fresh (as Stripe's
 * webhook signatures work); plus `Blueprints-Job-Id` and `Blueprints-Attempt`
 * (receivers dedupe on the job id: delivery is at-least-once).
 */
import { createHmac } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { isPrivateAddress } from '../../platform/net/address-policy.js'
import { JobsErrors } from './errors.js'
import { checkTarget, parseTarget, resolveAll, type TargetPolicy } from './target-policy.js'
import type { TaskContext, TaskDefinition } from './types.js'

export interface HttpPayload {
  url: string
  headers?: Record<string, string>
  body?: unknown
  timeoutMs?: number
}

export interface HttpTaskOptions {
  policy: TargetPolicy
  secret: () => string
  defaultTimeoutMs: number
}

const RESERVED = new Set([
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'blueprints-signature',
])

/** Sign `body` at `t` (unix seconds): the value of the Blueprints-Signature header. */
export function sign(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}

function checkPayload(p: unknown): HttpPayload {
  if (!p || typeof p !== 'object' || Array.isArray(p))
    throw JobsErrors.invalid(
      'payload',
      'must be an object (an http job needs url, and may give body, headers, timeoutMs)',
    )
  const o = p as Record<string, unknown>
  if (o.headers !== undefined) {
    if (!o.headers || typeof o.headers !== 'object' || Array.isArray(o.headers))
      throw JobsErrors.invalid('payload.headers', 'must be an object of strings')
    for (const [k, v] of Object.entries(o.headers)) {
      if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n]/.test(v))
        throw JobsErrors.invalid(`payload.headers.${k}`, 'is not a valid header')
      if (RESERVED.has(k.toLowerCase())) throw JobsErrors.invalid(`payload.headers.${k}`, 'cannot be set')
    }
  }
  if (
    o.timeoutMs !== undefined &&
    (!Number.isInteger(o.timeoutMs) || (o.timeoutMs as number) < 1 || (o.timeoutMs as number) > 3_600_000)
  )
    throw JobsErrors.invalid('payload.timeoutMs', 'must be an integer between 1 and 3600000')
  return o as unknown as HttpPayload
}

/** A socket lookup that refuses private addresses (unless the target is allowed). */
function guardedLookup(policy: TargetPolicy, hostPort: string): LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as (
      err: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void
    ;(policy.lookup ?? resolveAll)(hostname).then(
      (addrs) => {
        if (!policy.allowed.has(hostPort) && addrs.some(isPrivateAddress))
          return cb(new Error(`${hostname} resolves to a private address`), '')
        const family = (a: string) => (a.includes(':') ? 6 : 4)
        if ((options as { all?: boolean }).all)
          return cb(
            null,
            addrs.map((a) => ({ address: a, family: family(a) })),
          )
        cb(null, addrs[0]!, family(addrs[0]!))
      },
      (err) => cb(err as Error, ''),
    )
  }
}

class HttpError extends Error {
  override name = 'HttpTargetError'
}

function post(payload: HttpPayload, ctx: TaskContext, o: HttpTaskOptions): Promise<unknown> {
  const target = parseTarget(payload.url)
  const body = JSON.stringify(payload.body ?? null)
  const t = Math.floor(Date.now() / 1000)
  const headers: Record<string, string> = {
    'user-agent': 'blueprints-jobs',
    ...payload.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'blueprints-signature': sign(o.secret(), t, body),
    'blueprints-job-id': ctx.job.id,
    'blueprints-attempt': String(ctx.job.attempts),
    'blueprints-queue': ctx.job.queue,
  }
  if (ctx.job.traceparent) headers.traceparent = ctx.job.traceparent
  const lib = target.url.protocol === 'https:' ? https : http
  const timeoutMs = payload.timeoutMs ?? o.defaultTimeoutMs
  return new Promise((resolve, reject) => {
    const req = lib.request(target.url, {
      method: 'POST',
      headers,
      lookup: guardedLookup(o.policy, target.hostPort),
      signal: ctx.signal,
      timeout: timeoutMs,
    })
    req.on('timeout', () =>
      req.destroy(new HttpError(`no answer from ${target.url.host} within ${timeoutMs} ms`)),
    )
    req.on('error', (err) =>
      reject(err instanceof HttpError ? err : new HttpError(`${target.url.host}: ${err.message}`)),
    )
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (text.length < 2048) text += chunk
      })
      res.on('error', reject)
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) resolve({ status, body: text.slice(0, 2048) })
        else reject(new HttpError(`${target.url.host} answered ${status}: ${text.slice(0, 200)}`))
      })
    })
    req.end(body)
  })
}

/** The `http` task definition. */
export function httpTask(o: HttpTaskOptions): TaskDefinition {
  return {
    description: 'POST payload.body as JSON to payload.url (headers, timeoutMs); 2xx completes',
    async validate(payload) {
      const p = checkPayload(payload)
      await checkTarget(parseTarget(p.url), o.policy)
    },
    handler: (payload, ctx) => post(checkPayload(payload), ctx, o),
    // The request has its own timeout; the attempt's is a backstop above it.
    timeoutMs: undefined,
  }
}
