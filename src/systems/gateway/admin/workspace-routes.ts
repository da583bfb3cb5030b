/**
 * `/gateway/admin/workspaces`: Kong's workspace entity. Any valid token lists and reads the
 * workspaces it may act on; creating, changing and deleting one takes GATEWAY_ADMIN_TOKEN.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../../platform/errors.js'
import type { TypedApp } from '../../../platform/http/types.js'
import type { Json } from '../config/types.js'
import type { AdminAccess } from './access.js'
import type { WorkspaceAdmin } from './workspaces.js'

const TAGS = ['gateway']
const Entity = Type.Object({}, { additionalProperties: true })
const Body = Type.Object(
  {},
  { additionalProperties: true, description: "the workspace's fields, as Kong names them" },
)
const One = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 256, description: 'a name or id' }) })

export function workspaceRoutes(app: TypedApp, ws: WorkspaceAdmin, access: AdminAccess): void {
  const rootOnly = (req: FastifyRequest) => {
    if (access.allowed(req) !== 'all')
      throw new AppError(
        'GATEWAY_FORBIDDEN',
        403,
        'only GATEWAY_ADMIN_TOKEN may create, change or delete workspaces',
      )
  }
  const visible = (req: FastifyRequest, w: Json) => access.may(req, String(w.name))

  app.get(
    '/workspaces',
    {
      schema: {
        tags: TAGS,
        summary: 'List the workspaces this token may act on',
        response: { 200: Type.Object({ data: Type.Array(Entity), next: Type.Null() }) },
      },
    },
    async (req) => ({ data: (await ws.list()).filter((w) => visible(req, w)), next: null }),
  )
  app.post(
    '/workspaces',
    { schema: { tags: TAGS, summary: 'Create a workspace', body: Body, response: { 201: Entity } } },
    async (req, reply) => {
      rootOnly(req)
      return reply.code(201).send(await ws.create(req.body as Json))
    },
  )
  app.get(
    '/workspaces/:ref',
    { schema: { tags: TAGS, summary: 'Get a workspace', params: One, response: { 200: Entity } } },
    async (req) => {
      const w = await ws.get(req.params.ref)
      if (!visible(req, w))
        throw new AppError('GATEWAY_FORBIDDEN', 403, `this admin token may not act on workspace '${w.name}'`)
      return w
    },
  )
  app.patch(
    '/workspaces/:ref',
    {
      schema: {
        tags: TAGS,
        summary: "Change a workspace's comment, meta or config",
        params: One,
        body: Body,
        response: { 200: Entity },
      },
    },
    async (req) => {
      rootOnly(req)
      return ws.update(req.params.ref, req.body as Json)
    },
  )
  app.delete(
    '/workspaces/:ref',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete an empty workspace',
        params: One,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      rootOnly(req)
      await ws.remove(req.params.ref)
      return reply.code(204).send(null)
    },
  )
}
