/**
 * Kong's workspaces (`/gateway/admin/workspaces`): the tenants of one gateway. Each holds its own
 * services, routes, consumers, credentials, plugins and upstreams (names are unique within one;
 * ids across all), its own rate-limit counters and metrics series, and admin tokens can be limited
 * to some of them. `default` always exists; a workspace that still holds entities is not deleted.
 */
import { randomUUID } from 'node:crypto'
import { type Schema, s, validateRecord } from '../config/fields.js'
import { ConfigViolation, DEFAULT_WORKSPACE, type Json } from '../config/types.js'
import { AdminError, type AdminService, workspaceMissing } from './service.js'
import { type ConfigStore, WorkspaceExists, WorkspaceMissing } from './store.pg.js'

/** Admin path segments a workspace may not be called, or `/{workspace}/...` would be ambiguous. */
export const RESERVED = new Set([
  'services',
  'routes',
  'consumers',
  'plugins',
  'upstreams',
  'targets',
  'key-auths',
  'jwts',
  'config',
  'workspaces',
  'status',
  'schemas',
])

const workspaceSchema: Schema = {
  id: s.str({ max: 64 }),
  name: s.str({
    max: 64,
    required: true,
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    why: 'names may contain letters, digits, _ and -, starting with a letter or digit',
  }),
  comment: s.str({ max: 1024 }),
  meta: s.map(s.str({ max: 1024 })),
  config: s.map(s.str({ max: 1024 })),
  created_at: s.int({ min: 0 }),
  updated_at: s.int({ min: 0 }),
}

function validate(body: Json): Json {
  try {
    const v = validateRecord(workspaceSchema, body, '')
    if (RESERVED.has(String(v.name).toLowerCase()))
      throw new ConfigViolation(`name: '${v.name}' is reserved (an admin path)`, { name: 'reserved' })
    v.meta ??= {}
    v.config ??= {}
    return v
  } catch (err) {
    if (err instanceof ConfigViolation)
      throw new AdminError(400, {
        code: 2,
        name: 'schema violation',
        message: `schema violation (${err.message})`,
        fields: err.fields,
      })
    throw err
  }
}

export class WorkspaceAdmin {
  constructor(
    private readonly store: ConfigStore,
    private readonly admin: AdminService,
  ) {}

  private refuseInDbless(): void {
    if (this.admin.dbless)
      throw new AdminError(405, { message: "cannot change 'workspaces' entities when not using a database" })
  }

  async list(): Promise<Json[]> {
    if (this.admin.dbless) return [{ id: null, name: DEFAULT_WORKSPACE, meta: {}, config: {} }]
    return [...(await this.store.load()).workspaces.values()]
  }

  async get(name: string): Promise<Json> {
    const w = (await this.list()).find((x) => x.name === name || x.id === name)
    if (!w) throw workspaceMissing(name)
    return w
  }

  async create(body: Json): Promise<Json> {
    this.refuseInDbless()
    const v = validate({ ...body, id: body.id ?? randomUUID(), created_at: Math.floor(Date.now() / 1000) })
    const name = String(v.name)
    try {
      await this.admin.published(await this.store.putWorkspace(name, v, true))
    } catch (err) {
      if (err instanceof WorkspaceExists)
        throw new AdminError(409, { code: 5, name: 'unique constraint violation', message: err.message })
      throw err
    }
    return v
  }

  /** PATCH: comment, meta and config change; the name and id do not. */
  async update(ref: string, body: Json): Promise<Json> {
    this.refuseInDbless()
    const old = await this.get(ref)
    if ((body.name !== undefined && body.name !== old.name) || (body.id !== undefined && body.id !== old.id))
      throw new AdminError(400, {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (a workspace keeps its name and id)',
        fields: {},
      })
    const v = validate({ ...old, ...body, updated_at: Math.floor(Date.now() / 1000) })
    await this.store.putWorkspace(String(old.name), v, false).then(
      (version) => this.admin.published(version),
      (err) => {
        throw err instanceof WorkspaceMissing ? workspaceMissing(ref) : err
      },
    )
    return v
  }

  async remove(ref: string): Promise<void> {
    this.refuseInDbless()
    const old = await this.get(ref)
    if (old.name === DEFAULT_WORKSPACE)
      throw new AdminError(400, { message: 'the default workspace cannot be deleted' })
    let r: Awaited<ReturnType<ConfigStore['deleteWorkspace']>>
    try {
      r = await this.store.deleteWorkspace(String(old.name))
    } catch (err) {
      throw err instanceof WorkspaceMissing ? workspaceMissing(ref) : err
    }
    if (r === 'not-empty')
      throw new AdminError(400, { message: 'Workspace is not empty: delete its entities first' })
    await this.admin.published(r.version)
  }
}
