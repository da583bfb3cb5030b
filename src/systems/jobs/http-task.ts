/**
 * The built-in `http` task, as Google Cloud Tasks and QStash offer it: the
 * job POSTs `payload.body` (JSON) to `payload.url` with `payload.headers`;
 * a 2xx completes the attempt, anything else (or no complete answer within
 * `payload.timeoutMs`, headers and body together) fails it and the queue
 * retries with backoff. This is how a service written in any language
 * consumes the queue. Requests go through the platform's guarded agent, which
 * checks the address actually dialled (target-policy.ts), whatever path the
 * job came in by. Redirects are not followed.
 *
 * Every request carries `Blueprints-Signature: t=<unix seconds>,v1=<hex>`,
 * the HMAC-SHA256 of `<t>.<body>` under the installation's signing secret,
 * so the receiver can check it came from us and is fresh (as Stripe's
 * webhook signatures work); plus `Blueprints-Job-Id` and `Blueprints-Attempt`
 * (receivers dedupe on the job id: delivery is at-least-once).
 */
import { createHmac } from 'node:crypto'
import { type Dispatcher, request } from 'undici'
import { JobsErrors } from '../../platform/jobs/errors.js'
import type { TaskContext, TaskDefinition } from '../../platform/jobs/types.js'
import { checkTarget, parseTarget, type TargetPolicy } from './target-policy.js'

export interface HttpPayload {
  url: string
  headers?: Record<string, string>
  body?: unknown
  timeoutMs?: number
}

export interface HttpTaskOptions {
  policy: TargetPolicy
  /** The guarded agent (platform/net) every request goes through: it checks the address dialled. */
  agent: Dispatcher
  secret: () => string
  defaultTimeoutMs: number
}

/** Most of a target's answer kept as the job's result or error (the rest is read and dropped). */
const ANSWER_KEPT_BYTES = 2048
/** Most of a target's answer read at all; a longer one is cut off (the attempt still counts by status). */
const ANSWER_READ_BYTES = 1 << 20

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

class HttpError extends Error {
  override name = 'HttpTargetError'
}

/** The first ANSWER_KEPT_BYTES of a response body, reading at most ANSWER_READ_BYTES of it. */
async function readAnswer(body: Dispatcher.ResponseData['body']): Promise<string> {
  const kept: Buffer[] = []
  let keptBytes = 0
  let read = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    read += chunk.length
    if (keptBytes < ANSWER_KEPT_BYTES) {
      kept.push(chunk)
      keptBytes += chunk.length
    }
    if (read >= ANSWER_READ_BYTES) {
      body.destroy()
      break
    }
  }
  return Buffer.concat(kept).toString('utf8').slice(0, ANSWER_KEPT_BYTES)
}

async function post(payload: HttpPayload, ctx: TaskContext, o: HttpTaskOptions): Promise<unknown> {
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
  const timeoutMs = payload.timeoutMs ?? o.defaultTimeoutMs
  // One deadline for the whole exchange (connect, headers and body): a target that
  // trickles a byte at a time never resets it, as a socket idle timeout would be.
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), timeoutMs)
  const signal = AbortSignal.any([ctx.signal, deadline.signal])
  const host = target.url.host
  try {
    const res = await request(target.url, {
      method: 'POST',
      headers,
      body,
      dispatcher: o.agent,
      signal,
      // The deadline above bounds the exchange; undici's own idle timers must not cut it shorter.
      headersTimeout: 0,
      bodyTimeout: 0,
    })
    const text = await readAnswer(res.body)
    const status = res.statusCode
    if (status >= 200 && status < 300) return { status, body: text }
    throw new HttpError(`${host} answered ${status}: ${text.slice(0, 200)}`)
  } catch (err) {
    if (err instanceof HttpError) throw err
    if (deadline.signal.aborted && !ctx.signal.aborted)
      throw new HttpError(`no complete answer from ${host} within ${timeoutMs} ms (payload.timeoutMs)`)
    if (ctx.signal.aborted) throw ctx.signal.reason
    const cause = (err as { cause?: Error }).cause
    const reason =
      cause?.message && !(err as Error).message.includes(cause.message) ? `: ${cause.message}` : ''
    throw new HttpError(`${host}: ${(err as Error).message}${reason}`)
  } finally {
    clearTimeout(timer)
  }
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
