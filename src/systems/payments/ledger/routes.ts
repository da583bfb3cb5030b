/** `/payments/ledger/...`: accounts and transfers over HTTP (JSON), schemas <-> service calls. */
import { type Static, Type } from '@sinclair/typebox'
import type { TypedApp } from '../../../platform/http/types.js'
import { LedgerErrors } from './errors.js'
import { currencyProblem, ID_PATTERN, MAX_TIMEOUT_SECONDS, parseTransfers } from './input.js'
import type { Account, Transfer } from './ports.js'
import type { LedgerService } from './service.js'

const TAGS = ['payments']
const Id = Type.String({ pattern: ID_PATTERN, description: 'letters, digits, _ . : -; at most 64' })
const Amount = Type.String({ description: 'integer in minor units, as a string (exact beyond 2^53)' })

const AccountJson = Type.Object({
  id: Type.String(),
  currency: Type.String(),
  flags: Type.String(),
  debitsPending: Amount,
  debitsPosted: Amount,
  creditsPending: Amount,
  creditsPosted: Amount,
  createdAt: Type.String(),
})

const TransferJson = Type.Object({
  id: Type.String(),
  type: Type.String(),
  debitAccountId: Type.Union([Type.String(), Type.Null()]),
  creditAccountId: Type.Union([Type.String(), Type.Null()]),
  amount: Amount,
  currency: Type.Union([Type.String(), Type.Null()]),
  pendingId: Type.Union([Type.String(), Type.Null()]),
  linked: Type.Boolean(),
  timeoutSeconds: Type.Integer(),
  state: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
})

const TransferBodySchema = Type.Object(
  {
    id: Id,
    type: Type.Optional(
      Type.Union([
        Type.Literal('single'),
        Type.Literal('pending'),
        Type.Literal('post'),
        Type.Literal('void'),
      ]),
    ),
    debitAccountId: Type.Optional(Id),
    creditAccountId: Type.Optional(Id),
    amount: Type.Optional(
      Type.Unknown({
        description:
          'a positive integer in minor units: a JSON integer up to 2^53 - 1, or a string of digits up to 2^63 - 1',
      }),
    ),
    currency: Type.Optional(Type.String({ maxLength: 8 })),
    pendingId: Type.Optional(Id),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIMEOUT_SECONDS })),
    linked: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

/** The most transfers one request may carry. */
export const MAX_TRANSFERS_PER_REQUEST = 1000

function accountJson(a: Account): Static<typeof AccountJson> {
  return {
    id: a.id,
    currency: a.currency,
    flags: a.flags,
    debitsPending: a.debitsPending.toString(),
    debitsPosted: a.debitsPosted.toString(),
    creditsPending: a.creditsPending.toString(),
    creditsPosted: a.creditsPosted.toString(),
    createdAt: a.createdAt,
  }
}

function transferJson(t: Transfer): Static<typeof TransferJson> {
  return {
    id: t.id,
    type: t.kind,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    amount: t.amount.toString(),
    currency: t.currency,
    pendingId: t.pendingId,
    linked: t.linked,
    timeoutSeconds: t.timeoutSeconds,
    state: t.state,
    expiresAt: t.expiresAt,
    createdAt: t.createdAt,
  }
}

export function ledgerRoutes(app: TypedApp, ledger: LedgerService): void {
  app.post(
    '/ledger/accounts',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a ledger account',
        description:
          'Idempotent by id: the same id with the same currency and flags answers 200 with the account; with others, 409.',
        body: Type.Object(
          {
            id: Id,
            currency: Type.String({ maxLength: 8 }),
            flags: Type.Optional(
              Type.Union([
                Type.Literal('none'),
                Type.Literal('debits_must_not_exceed_credits'),
                Type.Literal('credits_must_not_exceed_debits'),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: AccountJson, 201: AccountJson },
      },
    },
    async (req, reply) => {
      const { id, currency, flags = 'none' } = req.body
      const p = currencyProblem(currency)
      if (p) throw LedgerErrors.invalid([{ name: 'currency', reason: p }])
      const out = await ledger.createAccount({ id, currency, flags })
      return reply.code(out.created ? 201 : 200).send(accountJson(out.account))
    },
  )

  app.get(
    '/ledger/accounts/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A ledger account and its balances',
        params: Type.Object({ id: Id }),
        response: { 200: AccountJson },
      },
    },
    async (req) => accountJson(await ledger.getAccount(req.params.id)),
  )

  app.get(
    '/ledger/accounts/:id/transfers',
    {
      schema: {
        tags: TAGS,
        summary: "An account's transfers, newest first",
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ data: Type.Array(TransferJson) }) },
      },
    },
    async (req) => {
      await ledger.getAccount(req.params.id)
      const list = await ledger.listTransfers(req.params.id, req.query.limit ?? 100)
      return { data: list.map(transferJson) }
    },
  )

  app.post(
    '/ledger/transfers',
    {
      schema: {
        tags: TAGS,
        summary: 'Create one transfer',
        description:
          'type single (default) moves amount at once; pending reserves it (until post, void or timeoutSeconds); ' +
          'post (of pendingId, all of it or a smaller amount) and void release the reservation. Idempotent by id: ' +
          'the same id and body answers 200 with the transfer and changes nothing; another body, 409.',
        body: TransferBodySchema,
        response: { 200: TransferJson, 201: TransferJson },
      },
    },
    async (req, reply) => {
      const [t] = parseTransfers([req.body], undefined)
      const out = await ledger.createTransfer(t!)
      return reply.code(out.created ? 201 : 200).send(transferJson(out.transfer))
    },
  )

  app.post(
    '/ledger/transfers/batch',
    {
      schema: {
        tags: TAGS,
        summary: 'Create many transfers, with linked chains',
        description:
          'Applied in order in one transaction; a transfer with linked: true chains to the next, and a chain ' +
          'commits all or none. Answers 200 with one result per transfer (ok, exists, or why it was refused).',
        body: Type.Object(
          { transfers: Type.Array(TransferBodySchema, { minItems: 1, maxItems: MAX_TRANSFERS_PER_REQUEST }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(Type.Object({ id: Type.String(), result: Type.String() })),
          }),
        },
      },
    },
    async (req) => {
      const transfers = parseTransfers(req.body.transfers, 'transfers')
      const results = await ledger.createTransfers(transfers)
      return { results: transfers.map((t, i) => ({ id: t.id, result: results[i]! })) }
    },
  )

  app.get(
    '/ledger/reconciliation',
    {
      schema: {
        tags: TAGS,
        summary: 'Check every balance against the sum of its transfers',
        description:
          "Sums each account's transfers (posted: single and post; pending: pending ones still pending) and lists " +
          'every balance that differs. Empty `discrepancies`: the ledger reconciles. Reads every transfer: an audit, not a hot path.',
        response: {
          200: Type.Object({
            discrepancies: Type.Array(
              Type.Object({
                accountId: Type.String(),
                field: Type.String(),
                stored: Amount,
                fromTransfers: Amount,
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const list = await ledger.reconcile()
      return {
        discrepancies: list.map((d) => ({
          accountId: d.accountId,
          field: d.field,
          stored: d.stored.toString(),
          fromTransfers: d.fromTransfers.toString(),
        })),
      }
    },
  )

  app.get(
    '/ledger/transfers/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A transfer',
        params: Type.Object({ id: Id }),
        response: { 200: TransferJson },
      },
    },
    async (req) => transferJson(await ledger.getTransfer(req.params.id)),
  )
}
