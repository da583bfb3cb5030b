/**
 * The admin API's operations, with Kong's semantics: entities addressed by id or name, PATCH merges
 * (a plugin's `config` one level deep), PUT replaces or creates, DELETE cascades where Kong does
 * (a route's plugins, a consumer's credentials and plugins, an upstream's targets) and is refused
 * where Kong refuses (a service that routes still use). Every change validates the whole resulting
 * configuration before it is stored, so a stored configuration always loads.
 */
import { randomUUID } from 'node:crypto'
import type { Bus } from '../../../platform/bus/port.js'
import { breakerState } from '../balancer/breaker.js'
import { hashKey, newKey } from '../config/key-hash.js'
import {
  ConfigViolation,
  DEFAULT_WORKSPACE,
  type EntityKind,
  type GatewayConfig,
  type Json,
} from '../config/types.js'
import { targetKey } from '../proxy/snapshot.js'
import type { GatewayRuntime } from '../runtime.js'
import { type ConfigStore, emptyDoc, type FlatDoc, IdTaken, WorkspaceMissing } from './store.pg.js'
import { CONFIG_SUBJECT, configOf, type StoreSource } from './store-source.js'

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message))
  }
}

const notFound = () => new AdminError(404, { message: 'Not found' })
export const workspaceMissing = (ws: string) =>
  new AdminError(404, { message: `Workspace '${ws.slice(0, 128)}' not found` })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The reference fields of each kind, rendered `{ "id": ... }` as Kong renders them. */
export const REFS: Record<EntityKind, string[]> = {
  services: [],
  routes: ['service'],
  upstreams: [],
  targets: ['upstream'],
  consumers: [],
  keyauth_credentials: ['consumer'],
  jwt_secrets: ['consumer'],
  plugins: ['route', 'service', 'consumer'],
}

/** Fields an entity may be found by besides its id. */
const NAMES: Record<EntityKind, string[]> = {
  services: ['name'],
  routes: ['name'],
  upstreams: ['name'],
  targets: ['target'],
  consumers: ['username', 'custom_id'],
  keyauth_credentials: [],
  jwt_secrets: ['key'],
  plugins: [],
}

export interface Scope {
  /** The parent's reference field on this kind (`service` for /services/{x}/routes). */
  field: string
  kind: EntityKind
  ref: string
}

export function render(kind: EntityKind, e: Json): Json {
  const out: Json = { ...e }
  for (const f of REFS[kind]) out[f] = typeof e[f] === 'string' ? { id: e[f] } : null
  return out
}

/** Kong's clients write a reference as `{ "id": ... }` (or by name); the entity stores the string. */
function flattenRefs(kind: EntityKind, body: Json): Json {
  let out = body
  for (const f of REFS[kind]) {
    const v = body[f]
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue
    const r = (v as Json).id ?? (v as Json).name ?? (v as Json).username
    if (Object.keys(v).length === 1 && typeof r === 'string') out = { ...out, [f]: r }
  }
  return out
}

function find(doc: FlatDoc, kind: EntityKind, ref: string): Json | undefined {
  const hash = kind === 'keyauth_credentials' ? hashKey(ref) : undefined
  return doc[kind].find(
    (e) => e.id === ref || NAMES[kind].some((n) => e[n] === ref) || (hash && e.key_hash === hash),
  )
}

function violation(err: unknown): never {
  if (err instanceof ConfigViolation) {
    if (err.unique)
      throw new AdminError(409, { code: 5, name: 'unique constraint violation', message: err.message })
    throw new AdminError(400, {
      code: 2,
      name: 'schema violation',
      message: `schema violation (${err.message})`,
      fields: err.fields,
    })
  }
  throw err
}

/** The store's refusals in Kong's shapes. */
function storeError(err: unknown): never {
  if (err instanceof WorkspaceMissing) throw workspaceMissing(err.workspace)
  if (err instanceof IdTaken)
    throw new AdminError(409, { code: 5, name: 'primary key violation', message: err.message })
  throw err
}

export class AdminService {
  constructor(
    private readonly store: ConfigStore,
    private readonly runtime: GatewayRuntime,
    private readonly source: StoreSource | undefined,
    readonly dbless: boolean,
    private readonly bus?: Bus,
  ) {}

  proxyPort(): number {
    return this.runtime.server.port
  }

  version(): number {
    return this.runtime.version
  }

  /** A workspace's set as stored (DB mode) or as loaded from the file (DB-less: default only). */
  private async current(ws: string): Promise<FlatDoc> {
    if (!this.dbless) {
      const doc = (await this.store.load()).docs.get(ws)
      if (!doc) throw workspaceMissing(ws)
      return doc
    }
    if (ws !== DEFAULT_WORKSPACE) throw workspaceMissing(ws)
    const doc = emptyDoc()
    const cfg = this.runtime.config as unknown as Record<EntityKind, Json[]>
    for (const k of Object.keys(doc) as EntityKind[]) doc[k] = cfg[k]
    return doc
  }

  async list(ws: string, kind: EntityKind, scope?: Scope): Promise<Json[]> {
    const doc = await this.current(ws)
    if (!scope) return doc[kind]
    const parent = find(doc, scope.kind, scope.ref)
    if (!parent) throw notFound()
    return doc[kind].filter((e) => e[scope.field] === parent.id)
  }

  async get(ws: string, kind: EntityKind, ref: string, scope?: Scope): Promise<Json> {
    const doc = await this.current(ws)
    const e = find(doc, kind, ref)
    if (!e) throw notFound()
    if (scope) {
      const parent = find(doc, scope.kind, scope.ref)
      if (!parent || e[scope.field] !== parent.id) throw notFound()
    }
    return e
  }

  /** The configuration this node serves for `ws`. */
  async config(ws: string): Promise<GatewayConfig> {
    const cfg = this.runtime.configs.get(ws)
    if (!cfg) throw workspaceMissing(ws)
    return cfg
  }

  private refuseInDbless(verb: string, kind: string): void {
    if (this.dbless)
      throw new AdminError(405, { message: `cannot ${verb} '${kind}' entities when not using a database` })
  }

  /** Run `edit` on the stored set, validate the result, store the rows it touched, publish. */
  private async write(
    ws: string,
    kind: EntityKind,
    edit: (doc: FlatDoc) => { id: string | undefined; touched: EntityKind[] },
  ) {
    let cfg: GatewayConfig | undefined
    const { version, result } = await this.store
      .change(ws, (doc) => {
        const before = new Map(
          Object.entries(doc).map(([k, list]) => [k, new Map(list.map((e) => [String(e.id), e]))]),
        )
        const { id, touched } = edit(doc)
        try {
          cfg = configOf(doc)
        } catch (err) {
          violation(err)
        }
        const after = cfg as unknown as Record<EntityKind, Json[]>
        const upsert: { kind: EntityKind; entity: Json }[] = []
        const remove: { kind: EntityKind; id: string }[] = []
        for (const k of new Set<EntityKind>([kind, ...touched])) {
          const now = new Map(after[k].map((e) => [String(e.id), e]))
          for (const [eid, e] of now) {
            const old = before.get(k)?.get(eid)
            if (!old || JSON.stringify(old) !== JSON.stringify(e)) upsert.push({ kind: k, entity: e })
          }
          for (const eid of before.get(k)?.keys() ?? []) if (!now.has(eid)) remove.push({ kind: k, id: eid })
        }
        const entity = id === undefined ? undefined : after[kind].find((e) => e.id === id)
        return { change: { upsert, remove }, result: entity }
      })
      .catch(storeError)
    await this.published(version, ws, cfg!)
    return result
  }

  /**
   * Serve a stored change here at once and announce it. When this node had every earlier version,
   * the other workspaces' sets are the ones it serves; otherwise it rereads everything.
   */
  async published(version: number, ws?: string, cfg?: GatewayConfig): Promise<void> {
    if (this.source && ws !== undefined && cfg && this.source.version === version - 1) {
      const next = new Map(this.runtime.configs)
      next.set(ws, cfg)
      this.source.applied(version, next)
    } else await this.source?.reload()
    await this.bus?.publish(CONFIG_SUBJECT, { version }).catch(() => {})
  }

  async create(ws: string, kind: EntityKind, body0: Json, scope?: Scope): Promise<Json> {
    this.refuseInDbless('create', kind)
    // A key-auth credential without a key gets a random one (Kong's behaviour); the answer shows
    // the key this once, only its digest is stored.
    let body = body0
    if (kind === 'keyauth_credentials' && body.key === undefined && body.key_hash === undefined)
      body = { ...body, key: newKey() }
    const shown = kind === 'keyauth_credentials' && typeof body.key === 'string' ? body.key : undefined
    const created = await this.insert(ws, kind, body, scope)
    return shown === undefined ? created : { ...created, key: shown }
  }

  private async insert(ws: string, kind: EntityKind, body0: Json, scope?: Scope): Promise<Json> {
    const body = flattenRefs(kind, body0)
    const id = body.id === undefined ? randomUUID() : String(body.id)
    if (!UUID.test(id)) throw violation(new ConfigViolation(`id: expected a UUID`, { id: 'expected a UUID' }))
    return (await this.write(ws, kind, (doc) => {
      if (doc[kind].some((e) => e.id === id))
        throw new AdminError(409, {
          code: 5,
          name: 'primary key violation',
          message: `primary key violation on key '{id="${id}"}'`,
        })
      const e: Json = { ...body, id, created_at: Math.floor(Date.now() / 1000) }
      if (scope) {
        const parent = find(doc, scope.kind, scope.ref)
        if (!parent) throw notFound()
        e[scope.field] = parent.id
      }
      doc[kind].push(e)
      return { id, touched: [] }
    }))!
  }

  async update(
    ws: string,
    kind: EntityKind,
    ref: string,
    body0: Json,
    mode: 'patch' | 'put',
    scope?: Scope,
  ): Promise<Json> {
    this.refuseInDbless('update', kind)
    const body = flattenRefs(kind, body0)
    return (await this.write(ws, kind, (doc) => {
      const i = doc[kind].findIndex((e) => e.id === ref || NAMES[kind].some((n) => e[n] === ref))
      const parent = scope ? find(doc, scope.kind, scope.ref) : undefined
      if (scope && !parent) throw notFound()
      if (i === -1) {
        if (mode === 'patch') throw notFound()
        const id = UUID.test(ref) ? ref : randomUUID()
        const e: Json = { ...body, id, created_at: Math.floor(Date.now() / 1000) }
        if (!UUID.test(ref) && NAMES[kind][0]) e[NAMES[kind][0]!] ??= ref
        if (scope) e[scope.field] = parent!.id
        doc[kind].push(e)
        return { id, touched: [] }
      }
      const old = doc[kind][i]!
      if (scope && old[scope.field] !== parent!.id) throw notFound()
      if (body.id !== undefined && body.id !== old.id)
        throw violation(new ConfigViolation('id: cannot be changed', { id: 'cannot be changed' }))
      let e: Json
      if (mode === 'put') e = { ...body, id: old.id, created_at: old.created_at }
      else {
        e = { ...old, ...body, id: old.id, created_at: old.created_at }
        if (
          kind === 'plugins' &&
          body.config &&
          typeof body.config === 'object' &&
          !Array.isArray(body.config)
        )
          e.config = { ...(old.config as Json), ...(body.config as Json) }
        // A service's url replaces its parts.
        if (kind === 'services' && body.url !== undefined)
          for (const f of ['protocol', 'host', 'port', 'path']) if (body[f] === undefined) delete e[f]
      }
      if (scope) e[scope.field] = parent!.id
      doc[kind][i] = e
      return { id: String(old.id), touched: [] }
    }))!
  }

  async remove(ws: string, kind: EntityKind, ref: string, scope?: Scope): Promise<void> {
    this.refuseInDbless('delete', kind)
    await this.write(ws, kind, (doc) => {
      const e = find(doc, kind, ref)
      if (!e) throw notFound()
      if (scope) {
        const parent = find(doc, scope.kind, scope.ref)
        if (!parent || e[scope.field] !== parent.id) throw notFound()
      }
      const id = e.id
      const touched: EntityKind[] = []
      const drop = (k: EntityKind, pred: (x: Json) => boolean) => {
        doc[k] = doc[k].filter((x) => !pred(x))
        touched.push(k)
      }
      if (kind === 'services' && doc.routes.some((r) => r.service === id))
        throw new AdminError(400, {
          code: 3,
          name: 'foreign key violation',
          message: "an existing 'routes' entity references this 'services' entity",
        })
      drop(kind, (x) => x.id === id)
      if (kind === 'services') drop('plugins', (p) => p.service === id)
      if (kind === 'routes') drop('plugins', (p) => p.route === id)
      if (kind === 'upstreams') drop('targets', (t) => t.upstream === id)
      if (kind === 'consumers') {
        drop('plugins', (p) => p.consumer === id)
        drop('keyauth_credentials', (c) => c.consumer === id)
        drop('jwt_secrets', (c) => c.consumer === id)
      }
      return { id: undefined, touched }
    })
  }

  /** Kong's /upstreams/{u}/health: each target with its state as this node sees it. */
  async health(ws: string, ref: string): Promise<Json[]> {
    const doc = await this.current(ws)
    const u = find(doc, 'upstreams', ref)
    if (!u) throw notFound()
    return doc.targets
      .filter((t) => t.upstream === u.id)
      .map((t) => {
        const state = this.runtime.targets.get(targetKey(ws, `${u.name}/${t.target}`))
        const health = !state
          ? 'HEALTHCHECKS_OFF'
          : !state.healthy
            ? 'UNHEALTHY'
            : state.weight === 0
              ? 'DISABLED' // out of rotation by choice (weight 0), not by health
              : 'HEALTHY'
        return {
          ...render('targets', t),
          health,
          data: {
            active: state?.active ?? 0,
            ewma_ms: state?.ewmaMs ?? 0,
            breaker: breakerState(state?.breaker),
          },
        }
      })
  }
}
