/**
 * The `/v1` surface as Stripe serves it: form-encoded bodies (and query strings) parsed the way
 * stripe-node writes them, secret-key auth, Stripe's error object for every refusal (ours, the
 * platform's, Fastify's), `Request-Id` on every answer, and POSTs run through the
 * Idempotency-Key layer in one transaction each. Resources register their routes through the
 * small router this file returns.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { TypedApp } from '../../../platform/http/types.js'
import { isStorableText } from '../../../platform/text/storable.js'
import { StripeError, StripeErrors, toStripeError } from './errors.js'
import type { Events, RequestInfo } from './events.js'
import { type FormObject, parseForm } from './form.js'
import { type Idempotency, type Outcome, requestHash } from './idempotency.js'
import type { SecretKeys } from './keys.js'
import type { Money } from './money.js'
import type { ObjectStore, StripeObject } from './objects.store.js'

export const SECURITY_SCHEME = 'paymentsSecretKey'
const BODY_LIMIT = 256 * 1024

export interface StripeDeps {
  db: Db
  objects: ObjectStore
  idempotency: Idempotency
  keys: SecretKeys
  money: Money
  events: Events
  /** PUBLIC_URL, when set: the origin of URLs this API hands out (3-D Secure's next action). */
  publicUrl?: string
}

/** One API call as a handler sees it. */
export interface Call {
  account: string
  params: FormObject
  /** The `:id` of the path, when it has one. */
  id: string
  request: RequestInfo
  /** Where clients reach this server (PUBLIC_URL, or the request's own host). */
  origin: string
}

type Result = StripeObject | Outcome

export interface Router {
  post(path: string, summary: string, fn: (call: Call, tx: Queryable) => Promise<Result>): void
  get(path: string, summary: string, fn: (call: Call, db: Queryable) => Promise<Result>): void
  del(path: string, summary: string, fn: (call: Call, tx: Queryable) => Promise<Result>): void
}

const isOutcome = (r: Result): r is Outcome =>
  typeof (r as Outcome).status === 'number' && 'body' in r && Object.keys(r).length === 2

const toOutcome = (r: Result): Outcome => (isOutcome(r) ? r : { status: 200, body: r })

declare module 'fastify' {
  interface FastifyRequest {
    stripeAccount?: string
  }
}

/** Register `/v1` on `app` (prefix ''): parser, auth, errors, and the resources' routes. */
export async function stripeApi(app: TypedApp, deps: StripeDeps, resources: ((r: Router) => void)[]) {
  await app.register(
    async (scope) => {
      const s = scope as unknown as FastifyInstance
      s.removeAllContentTypeParsers()
      s.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: BODY_LIMIT },
        (_req, body, done) => {
          try {
            done(null, parseForm(body as string))
          } catch (err) {
            done(err as Error, undefined)
          }
        },
      )
      if (s.hasDecorator('addSecurityScheme'))
        s.addSecurityScheme(SECURITY_SCHEME, {
          type: 'http',
          scheme: 'bearer',
          description:
            'a secret key, sk_test_... (PAYMENTS_INITIAL_SECRET_KEY makes the first); HTTP Basic with the key as user also works',
        })
      s.addHook('onRequest', async (req, reply) => {
        reply.header('request-id', `req_${req.id}`)
        req.stripeAccount = await deps.keys.authenticate(req.headers.authorization)
      })
      s.setErrorHandler((err, req, reply) => {
        const e = toStripeError(err)
        if (e.status >= 500) req.log.error({ err }, 'payments /v1 request failed')
        reply.code(e.status).header('content-type', 'application/json').send({ error: e.body })
      })
      s.setNotFoundHandler((req, reply) => {
        const e = StripeErrors.unknownUrl(req.method, req.url)
        reply.code(404).send({ error: e.body })
      })
      const router = makeRouter(s, deps)
      for (const r of resources) r(router)
    },
    { prefix: '/v1' },
  )
}

function makeRouter(s: FastifyInstance, deps: StripeDeps): Router {
  const schema = (path: string, summary: string, method: string) => ({
    summary,
    description: `Stripe's \`${method} /v1${path}\`, as stripe-node calls it (form-encoded parameters).`,
    security: [{ [SECURITY_SCHEME]: [] }],
    ...(path.includes(':id') && { params: Type.Object({ id: Type.String({ maxLength: 255 }) }) }),
  })
  const call = (req: FastifyRequest, params: FormObject): Call => ({
    account: req.stripeAccount!,
    params,
    id: (req.params as { id?: string }).id ?? '',
    request: { id: `req_${req.id}`, idempotencyKey: idempotencyKeyOf(req) ?? null },
    origin: deps.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`,
  })
  const send = (reply: FastifyReply, out: Outcome, replayed = false) => {
    if (replayed) reply.header('idempotent-replayed', 'true')
    if (typeof out.body === 'string') reply.header('content-type', 'application/json; charset=utf-8')
    reply.code(out.status).send(out.body)
  }
  return {
    post(path, summary, fn) {
      s.post(path, { schema: schema(path, summary, 'POST') }, async (req, reply) => {
        const params = (req.body ?? {}) as FormObject
        if (typeof params !== 'object') throw StripeErrors.badContentType()
        const key = idempotencyKeyOf(req)
        const hash = requestHash('POST', req.url.split('?')[0]!, params)
        const c = call(req, params)
        const out = await deps.idempotency.run(c.account, key, hash, async (tx) => toOutcome(await fn(c, tx)))
        if (key !== undefined) reply.header('idempotency-key', key)
        send(reply, out, out.replayed)
      })
    },
    get(path, summary, fn) {
      s.get(path, { schema: schema(path, summary, 'GET') }, async (req, reply) => {
        const q = req.url.indexOf('?')
        const params = q < 0 ? {} : parseForm(req.url.slice(q + 1))
        send(reply, toOutcome(await fn(call(req, params), deps.db)))
      })
    },
    del(path, summary, fn) {
      s.delete(path, { schema: schema(path, summary, 'DELETE') }, async (req, reply) => {
        const c = call(req, {})
        send(reply, toOutcome(await deps.db.tx((tx) => fn(c, tx))))
      })
    },
  }
}

/** The Idempotency-Key header: at most 255 characters of storable text. */
function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const v = req.headers['idempotency-key']
  if (v === undefined) return undefined
  const key = Array.isArray(v) ? v[0]! : v
  if (key.length === 0 || key.length > 255 || !isStorableText(key))
    throw new StripeError(400, {
      type: 'invalid_request_error',
      message: 'Idempotency-Key must be 1 to 255 characters.',
      param: 'Idempotency-Key',
    })
  return key
}
