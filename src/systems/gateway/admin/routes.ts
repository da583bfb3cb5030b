/**
 * `/gateway/admin/...`: Kong's Admin API shapes on the main port (lists as `{data, next}`, entities
 * with `{ "id": ... }` references, Kong's error bodies), for services, routes, consumers, plugins,
 * upstreams, targets and credentials, with Kong's nested forms (`/services/{service}/routes`, ...).
 * Behind GATEWAY_ADMIN_TOKEN when it is set. HTTP schemas <-> AdminService calls, nothing else.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyError } from 'fastify'
import { AppError } from '../../../platform/errors.js'
import type { TypedApp } from '../../../platform/http/types.js'
import type { EntityKind, Json } from '../config/types.js'
import { PLUGINS } from '../plugins/registry.js'
import { type AdminAccess, pathWorkspace } from './access.js'
import { AdminError, type AdminService, render, type Scope } from './service.js'
import { workspaceRoutes } from './workspace-routes.js'
import type { WorkspaceAdmin } from './workspaces.js'

const TAGS = ['gateway']
const Ref = Type.String({ minLength: 1, maxLength: 256, description: 'an id or a name' })
const Body = Type.Object(
  {},
  { additionalProperties: true, description: "the entity's fields, as Kong names them" },
)
const Entity = Type.Object({}, { additionalProperties: true })
const List = Type.Object({ data: Type.Array(Entity), next: Type.Union([Type.String(), Type.Null()]) })
const Paging = Type.Object({
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,9}$', description: "from the previous page's next" }),
  ),
})

/** URL segment -> entity kind (Kong's admin paths). */
const KINDS: [path: string, kind: EntityKind, label: string][] = [
  ['services', 'services', 'service'],
  ['routes', 'routes', 'route'],
  ['consumers', 'consumers', 'consumer'],
  ['plugins', 'plugins', 'plugin'],
  ['upstreams', 'upstreams', 'upstream'],
  ['targets', 'targets', 'target'],
  ['key-auths', 'keyauth_credentials', 'key-auth credential'],
  ['jwts', 'jwt_secrets', 'jwt secret'],
]

/** Nested collections: /<parent>/{ref}/<child>. */
const NESTED: [parent: string, parentKind: EntityKind, child: string, kind: EntityKind, field: string][] = [
  ['services', 'services', 'routes', 'routes', 'service'],
  ['services', 'services', 'plugins', 'plugins', 'service'],
  ['routes', 'routes', 'plugins', 'plugins', 'route'],
  ['consumers', 'consumers', 'plugins', 'plugins', 'consumer'],
  ['consumers', 'consumers', 'key-auth', 'keyauth_credentials', 'consumer'],
  ['consumers', 'consumers', 'jwt', 'jwt_secrets', 'consumer'],
  ['upstreams', 'upstreams', 'targets', 'targets', 'upstream'],
]

function page(kind: EntityKind, all: Json[], url: string, size = 100, offset = '0') {
  const start = Number(offset)
  const data = all.slice(start, start + size).map((e) => render(kind, e))
  const more = start + size < all.length
  const base = url.split('?')[0]
  return { data, next: more ? `${base}?size=${size}&offset=${start + size}` : null }
}

export interface AdminRoutesOptions {
  access: AdminAccess
  /** Set on the root registration only (`/gateway/admin/workspaces`, not under a workspace). */
  workspaces?: WorkspaceAdmin
}

/**
 * Register the entity routes on `app`. Registered twice: at `/gateway/admin` (the default
 * workspace, as Kong) and at `/gateway/admin/:workspace`; each handler acts on the path's workspace.
 */
export function adminRoutes(app: TypedApp, admin: AdminService, o: AdminRoutesOptions): void {
  app.setErrorHandler((err: FastifyError | AdminError | AppError, _req, reply) => {
    if (err instanceof AdminError) return reply.code(err.status).send(err.body)
    if (err instanceof AppError)
      return reply
        .code(err.status)
        .headers(err.headers ?? {})
        .send({ message: err.message })
    const e = err as FastifyError
    if (e.validation)
      return reply
        .code(400)
        .send({ code: 2, name: 'schema violation', message: `schema violation (${e.message})`, fields: {} })
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ message: e.message })
    reply.log.error({ err }, 'gateway admin error')
    return reply.code(500).send({ message: 'An unexpected error occurred' })
  })
  o.access.guard(app, (req) =>
    /\/admin\/workspaces(\/|$)/.test(req.routeOptions.url ?? '') ? undefined : pathWorkspace(req),
  )
  if (o.workspaces) workspaceRoutes(app, o.workspaces, o.access)
  const ws = pathWorkspace

  app.get(
    '',
    { schema: { tags: TAGS, summary: 'About this gateway node (Kong: GET /)', response: { 200: Entity } } },
    async () => ({
      tagline: 'Welcome to the blueprints gateway',
      version: '3.9.0-compatible',
      database: admin.dbless ? 'off' : 'postgres',
      configuration: { proxy_listeners: [{ port: admin.proxyPort() }], config_version: admin.version() },
      plugins: { available_on_server: Object.fromEntries([...PLUGINS.keys()].map((n) => [n, true])) },
    }),
  )
  app.get(
    '/config',
    {
      schema: {
        tags: TAGS,
        summary: "The configuration this node serves, in Kong's declarative format",
        response: { 200: Entity },
      },
    },
    async (req) => {
      const cfg = await admin.config(ws(req))
      return { _format_version: '3.0', ...cfg }
    },
  )

  for (const [path, kind, label] of KINDS) {
    app.get(
      `/${path}`,
      { schema: { tags: TAGS, summary: `List ${path}`, querystring: Paging, response: { 200: List } } },
      async (req) => page(kind, await admin.list(ws(req), kind), req.url, req.query.size, req.query.offset),
    )
    app.post(
      `/${path}`,
      { schema: { tags: TAGS, summary: `Create a ${label}`, body: Body, response: { 201: Entity } } },
      async (req, reply) =>
        reply.code(201).send(render(kind, await admin.create(ws(req), kind, req.body as Json))),
    )
    const one = Type.Object({ ref: Ref })
    app.get(
      `/${path}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Get a ${label} by id or name`,
          params: one,
          response: { 200: Entity },
        },
      },
      async (req) => render(kind, await admin.get(ws(req), kind, req.params.ref)),
    )
    app.patch(
      `/${path}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Update a ${label} (fields given are merged)`,
          params: one,
          body: Body,
          response: { 200: Entity },
        },
      },
      async (req) =>
        render(kind, await admin.update(ws(req), kind, req.params.ref, req.body as Json, 'patch')),
    )
    app.put(
      `/${path}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Create or replace a ${label}`,
          params: one,
          body: Body,
          response: { 200: Entity },
        },
      },
      async (req) => render(kind, await admin.update(ws(req), kind, req.params.ref, req.body as Json, 'put')),
    )
    app.delete(
      `/${path}/:ref`,
      { schema: { tags: TAGS, summary: `Delete a ${label}`, params: one, response: { 204: Type.Null() } } },
      async (req, reply) => {
        await admin.remove(ws(req), kind, req.params.ref)
        return reply.code(204).send(null)
      },
    )
  }

  for (const [parent, parentKind, child, kind, field] of NESTED) {
    const params = Type.Object({ parent: Ref })
    const scope = (ref: string): Scope => ({ field, kind: parentKind, ref })
    app.get(
      `/${parent}/:parent/${child}`,
      {
        schema: {
          tags: TAGS,
          summary: `List the ${child} of a ${parent.slice(0, -1)}`,
          params,
          querystring: Paging,
          response: { 200: List },
        },
      },
      async (req) =>
        page(
          kind,
          await admin.list(ws(req), kind, scope(req.params.parent)),
          req.url,
          req.query.size,
          req.query.offset,
        ),
    )
    app.post(
      `/${parent}/:parent/${child}`,
      {
        schema: {
          tags: TAGS,
          summary: `Create one of the ${child} of a ${parent.slice(0, -1)}`,
          params,
          body: Body,
          response: { 201: Entity },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(render(kind, await admin.create(ws(req), kind, req.body as Json, scope(req.params.parent)))),
    )
    const both = Type.Object({ parent: Ref, ref: Ref })
    app.get(
      `/${parent}/:parent/${child}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Get one of the ${child} of a ${parent.slice(0, -1)}`,
          params: both,
          response: { 200: Entity },
        },
      },
      async (req) => render(kind, await admin.get(ws(req), kind, req.params.ref, scope(req.params.parent))),
    )
    app.patch(
      `/${parent}/:parent/${child}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Update one of the ${child} of a ${parent.slice(0, -1)}`,
          params: both,
          body: Body,
          response: { 200: Entity },
        },
      },
      async (req) =>
        render(
          kind,
          await admin.update(
            ws(req),
            kind,
            req.params.ref,
            req.body as Json,
            'patch',
            scope(req.params.parent),
          ),
        ),
    )
    app.delete(
      `/${parent}/:parent/${child}/:ref`,
      {
        schema: {
          tags: TAGS,
          summary: `Delete one of the ${child} of a ${parent.slice(0, -1)}`,
          params: both,
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await admin.remove(ws(req), kind, req.params.ref, scope(req.params.parent))
        return reply.code(204).send(null)
      },
    )
  }

  app.get(
    '/upstreams/:ref/health',
    {
      schema: {
        tags: TAGS,
        summary: "An upstream's targets with their health as this node sees it",
        params: Type.Object({ ref: Ref }),
        response: { 200: List },
      },
    },
    async (req) => ({ data: await admin.health(ws(req), req.params.ref), next: null }),
  )
}
