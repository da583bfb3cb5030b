/**
 * The admin API's clients: create (the secret is in that answer only), list, read, change,
 * rotate the secret, delete. The provider validates the metadata as it will when it loads the
 * client, so a client the API accepts is one the provider can use.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import {
  ClientView,
  clientRowView,
  clientView,
  decodeCursor,
  ERRORS,
  encodeCursor,
  PageQuery,
  Problem,
} from './admin.schemas.js'
import { DEVICE_CODE } from './clients.js'
import type { AuthParts } from './parts.js'

const GrantType = Type.Union(
  ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE].map((g) => Type.Literal(g)),
)
const Uri = Type.String({ minLength: 1, maxLength: 2000 })
const Uris = Type.Array(Uri, { maxItems: 20 })
const Scope = Type.String({
  maxLength: 1000,
  pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
  description: 'space-separated scopes (RFC 6749 scope-token syntax)',
})
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Member = Type.String({ maxLength: 4096 })
/** A public JWK of a private_key_jwt client (RFC 7517/7518 members; private ones are refused). */
const PublicJwk = Type.Object(
  {
    kty: Type.Union([Type.Literal('RSA'), Type.Literal('EC'), Type.Literal('OKP')]),
    kid: Type.Optional(Type.String({ maxLength: 200 })),
    use: Type.Optional(Type.Literal('sig')),
    alg: Type.Optional(Type.String({ maxLength: 20 })),
    key_ops: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 8 })),
    n: Type.Optional(Member),
    e: Type.Optional(Type.String({ maxLength: 20 })),
    crv: Type.Optional(Type.String({ maxLength: 20 })),
    x: Type.Optional(Member),
    y: Type.Optional(Member),
    x5c: Type.Optional(Type.Array(Type.String({ maxLength: 16_384 }), { maxItems: 5 })),
    x5t: Type.Optional(Type.String({ maxLength: 100 })),
    'x5t#S256': Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
)

const NewClientBody = Type.Object(
  {
    clientId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]{1,200}$' })),
    name: Type.Optional(Name),
    grantTypes: Type.Array(GrantType, { minItems: 1, maxItems: 4, uniqueItems: true }),
    redirectUris: Type.Optional(Uris),
    postLogoutRedirectUris: Type.Optional(Uris),
    scope: Type.Optional(Scope),
    authMethod: Type.Optional(
      Type.Union(
        ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'].map((m) => Type.Literal(m)),
      ),
    ),
    jwks: Type.Optional(
      Type.Object({ keys: Type.Array(PublicJwk, { maxItems: 10 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
)
const PatchClientBody = Type.Object(
  {
    name: Type.Optional(Name),
    grantTypes: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 4, uniqueItems: true })),
    redirectUris: Type.Optional(Uris),
    postLogoutRedirectUris: Type.Optional(Uris),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false, minProperties: 1 },
)
const IdParams = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 200 }) })
const WithSecret = Type.Intersect([
  ClientView,
  Type.Object({ clientSecret: Type.Optional(Type.String({ description: 'shown in this answer only' })) }),
])

const notFound = (clientId: string) =>
  new AppError('AUTH_CLIENT_NOT_FOUND', 404, `no client has the id ${clientId}`)
const isId = (v: unknown): v is string => typeof v === 'string' && v.length <= 200

/** Routes under /auth/admin/clients. */
export function adminClientRoutes(app: TypedApp, p: AuthParts): void {
  const validate = (m: Record<string, unknown>) =>
    p.holder.get(p.issuer()).provider.Client.validate(m as never)

  app.post(
    '/clients',
    {
      schema: {
        summary: 'Create a client',
        description:
          'Without `scope`, the client may ask for every scope but `admin`. A confidential client gets a generated secret, in this answer only (only its hash is stored).',
        body: NewClientBody,
        response: { 201: WithSecret, 409: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const created = await p.createClient(req.body as never, req.principal!.sub)
      return reply.code(201).send({
        ...clientView(created.clientId, created.metadata),
        ...(created.clientSecret && { clientSecret: created.clientSecret }),
      })
    },
  )

  app.get(
    '/clients',
    {
      schema: {
        summary: 'List clients',
        description: 'By id; `nextCursor` is absent on the last page.',
        querystring: PageQuery,
        response: {
          200: Type.Object({ items: Type.Array(ClientView), nextCursor: Type.Optional(Type.String()) }),
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      const after = decodeCursor(req.query.cursor, isId)
      const rows = await p.clients.page(after, limit + 1)
      const items = rows.slice(0, limit).map(clientRowView)
      return { items, ...(rows.length > limit && { nextCursor: encodeCursor(items.at(-1)!.clientId) }) }
    },
  )

  app.get(
    '/clients/:clientId',
    {
      schema: {
        summary: 'Read a client',
        params: IdParams,
        response: { 200: ClientView, 404: Problem, ...ERRORS },
      },
    },
    async (req) => {
      const m = await p.clients.metadata(req.params.clientId)
      if (!m) throw notFound(req.params.clientId)
      return clientView(req.params.clientId, m)
    },
  )

  app.patch(
    '/clients/:clientId',
    {
      schema: {
        summary: 'Change a client',
        description:
          'Fields given replace the stored ones. Other processes see the change within AUTH_CLIENT_CACHE_MS.',
        params: IdParams,
        body: PatchClientBody,
        response: { 200: ClientView, 404: Problem, ...ERRORS },
      },
    },
    async (req) => {
      const { clientId } = req.params
      const m = await p.clients.update(clientId, req.body as never, validate)
      if (!m) throw notFound(clientId)
      await p.audit.record({
        event: 'client.updated',
        clientId,
        actor: req.principal!.sub,
        detail: { fields: Object.keys(req.body) },
      })
      return clientView(clientId, m)
    },
  )

  app.post(
    '/clients/:clientId/secret',
    {
      schema: {
        summary: "Replace a client's secret",
        description:
          'The new secret is in this answer only; the old one stops working at once here, within AUTH_CLIENT_CACHE_MS elsewhere.',
        params: IdParams,
        response: {
          200: Type.Object({ clientId: Type.String(), clientSecret: Type.String() }),
          404: Problem,
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const { clientId } = req.params
      const secret = await p.clients.rotateSecret(clientId)
      if (!secret) throw notFound(clientId)
      await p.audit.record({ event: 'client.secret_rotated', clientId, actor: req.principal!.sub })
      return { clientId, clientSecret: secret }
    },
  )

  app.delete(
    '/clients/:clientId',
    {
      schema: {
        summary: 'Delete a client',
        description: 'Its refresh tokens stop working; its JWT access tokens live until they expire.',
        params: IdParams,
        response: { 204: Type.Null(), 404: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { clientId } = req.params
      if (!(await p.clients.delete(clientId))) throw notFound(clientId)
      await p.audit.record({ event: 'client.deleted', clientId, actor: req.principal!.sub })
      return reply.code(204).send(null)
    },
  )
}
