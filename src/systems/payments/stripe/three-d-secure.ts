/**
 * 3-D Secure, simulated: the page a PaymentIntent's `next_action.redirect_to_url.url` points at
 * (`/payments/3ds/{id}?client_secret=...`), standing in for the issuer's challenge. The customer
 * completes or fails it there (a form POST); completing charges the card exactly as a plain
 * confirm would (payment-intents.ts chargeCard), failing puts the PaymentIntent back to
 * `requires_payment_method` with Stripe's `payment_intent_authentication_failure`. Then the
 * browser goes to the `return_url` with Stripe's query (`payment_intent`,
 * `payment_intent_client_secret`, `redirect_status`).
 *
 * The client secret in the URL is the only credential, as with Stripe's own redirect: the page is
 * outside the /payments bearer token and the /v1 keys (a customer's browser has neither). The
 * POST locks the PaymentIntent's row, so a double submit charges once: the second sees it is no
 * longer `requires_action` and only redirects.
 */
import { timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Queryable } from '../../../platform/db/port.js'
import type { TypedApp } from '../../../platform/http/types.js'
import type { StripeDeps } from './api.js'
import { parseForm } from './form.js'
import type { StripeObject } from './objects.store.js'
import { type Caller, cardFor, chargeCard } from './payment-intents.js'

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`

function sameSecret(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The PaymentIntent `id` and its account, if `secret` is its client secret. */
async function intentFor(on: Queryable, id: string, secret: unknown, lock = false) {
  const { rows } = await on.query<{ account_id: string; data: StripeObject }>(
    `SELECT account_id, data FROM stripe_objects WHERE id = $1 AND type = 'payment_intent' AND NOT deleted
     ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  )
  const r = rows[0]
  return r && sameSecret(r.data.client_secret, secret) ? { account: r.account_id, pi: r.data } : undefined
}

const notFound = (reply: FastifyReply) =>
  reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(page('Not found', '<p>No payment to authenticate here (or the link is wrong).</p>'))

const IdParams = Type.Object({ id: Type.String({ maxLength: 255 }) })

/** Mount the challenge page under `/payments/3ds` (no bearer token: see above). */
export async function threeDSecureRoutes(app: TypedApp, deps: StripeDeps): Promise<void> {
  await app.register(
    async (plain) => {
      const scope = plain as unknown as TypedApp
      // The form the page posts, as a browser sends it.
      ;(scope as unknown as FastifyInstance).addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 4096 },
        (_req, body, done) => {
          try {
            done(null, parseForm(body as string))
          } catch (err) {
            done(Object.assign(err as Error, { statusCode: 400 }), undefined)
          }
        },
      )
      scope.get(
        '/:id',
        {
          schema: {
            summary: "A PaymentIntent's simulated 3-D Secure challenge (the next_action URL)",
            params: IdParams,
            querystring: Type.Object({ client_secret: Type.Optional(Type.String({ maxLength: 255 })) }),
          },
        },
        async (req, reply) => {
          const found = await intentFor(deps.db, req.params.id, req.query.client_secret)
          if (found?.pi.status !== 'requires_action') return notFound(reply)
          const { pi } = found
          const secret = escapeHtml(pi.client_secret)
          const button = (outcome: string, label: string) =>
            `<form method="post" action="${escapeHtml(pi.id)}"><input type="hidden" name="client_secret" value="${secret}">` +
            `<input type="hidden" name="outcome" value="${outcome}"><button type="submit">${label}</button></form>`
          return reply
            .type('text/html; charset=utf-8')
            .send(
              page(
                'Authenticate your payment',
                `<p>${escapeHtml(String(pi.amount))} ${escapeHtml(pi.currency.toUpperCase())} (test mode: no bank is asked).</p>` +
                  button('complete', 'Complete authentication') +
                  button('fail', 'Fail authentication'),
              ),
            )
        },
      )
      scope.post(
        '/:id',
        {
          schema: {
            summary: 'Complete or fail the simulated 3-D Secure challenge of a PaymentIntent',
            params: IdParams,
            body: Type.Object(
              {
                client_secret: Type.String({ maxLength: 255 }),
                outcome: Type.Union([Type.Literal('complete'), Type.Literal('fail')]),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (req, reply) => {
          const done = await deps.db.tx(async (tx) => {
            const found = await intentFor(tx, req.params.id, req.body.client_secret, true)
            if (!found) return undefined
            const { account, pi } = found
            const attempt = await deps.objects.get(tx, account, 'three_d_secure', `${pi.id}_3ds`)
            const returnUrl: string | null = attempt?.return_url ?? null
            // Already completed or failed (a double submit): nothing more happens.
            if (pi.status !== 'requires_action') return { pi, returnUrl }
            const c: Caller = { account, request: { id: null, idempotencyKey: null } }
            if (req.body.outcome === 'complete') {
              const { card, pm } = await cardFor(deps, tx, c, pi.payment_method)
              const out = await chargeCard(deps, tx, c, pi, pi.payment_method, pm, card)
              return { pi: 'object' in out ? out : pi, returnUrl }
            }
            const next: StripeObject = {
              ...pi,
              status: 'requires_payment_method',
              payment_method: null,
              next_action: null,
              last_payment_error: {
                type: 'invalid_request_error',
                code: 'payment_intent_authentication_failure',
                message:
                  'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
                doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
              },
            }
            await deps.objects.update(tx, account, next)
            await deps.events.emit(tx, account, 'payment_intent.payment_failed', next, c.request)
            return { pi: next, returnUrl }
          })
          if (!done) return notFound(reply)
          const ok = done.pi.status === 'succeeded' || done.pi.status === 'requires_capture'
          if (done.returnUrl) {
            const to = new URL(done.returnUrl)
            to.searchParams.set('payment_intent', done.pi.id)
            to.searchParams.set('payment_intent_client_secret', done.pi.client_secret)
            to.searchParams.set('redirect_status', ok ? 'succeeded' : 'failed')
            return reply.code(303).header('location', to.toString()).send()
          }
          return reply
            .type('text/html; charset=utf-8')
            .send(
              page(ok ? 'Payment authenticated' : 'Authentication failed', '<p>You can close this page.</p>'),
            )
        },
      )
    },
    { prefix: '/payments/3ds' },
  )
}
