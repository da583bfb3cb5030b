/**
 * The gateway's Admin API as this page calls it (`/gateway/admin`, Kong's shapes: lists as
 * `{data, next}`, errors as `{message, name, fields}`), with the admin token when one is saved
 * (the server's GATEWAY_ADMIN_TOKEN; open when unset).
 */
import { ApiError, CONSOLE_CLIENT_HEADER } from '../../api/http'
import { readStored } from '../../ui/storage'

export const TOKEN_STORAGE = 'blueprints.gateway.adminToken'
const BASE = '/gateway/admin'

export interface Service {
  id: string
  name: string | null
  protocol: string
  host: string
  port: number
  path: string | null
  retries: number
  enabled: boolean
}

export interface Route {
  id: string
  name: string | null
  service: { id: string } | null
  methods: string[] | null
  hosts: string[] | null
  paths: string[] | null
  strip_path: boolean
}

export interface Plugin {
  id: string
  name: string
  enabled: boolean
  service: { id: string } | null
  route: { id: string } | null
  consumer: { id: string } | null
  config: Record<string, unknown>
}

export interface Upstream {
  id: string
  name: string
  algorithm: string
}

export interface TargetHealth {
  id: string
  target: string
  weight: number
  health: string
}

export interface Workspace {
  id: string
  name: string
  comment?: string | null
}

export interface NodeInfo {
  configuration: { proxy_listeners: { port: number }[]; config_version: number }
  plugins: { available_on_server: Record<string, boolean> }
}

/** Kong's error body. */
interface KongError {
  message?: string
  name?: string
  fields?: Record<string, unknown>
}

/** The first field message of Kong's `fields` (nested objects flattened as `a.b`). */
function firstField(fields: Record<string, unknown> | undefined, prefix = ''): string | undefined {
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (typeof v === 'string') return `${prefix}${k}: ${v}`
    if (Array.isArray(v) && typeof v[0] === 'string') return `${prefix}${k}: ${v[0]}`
    if (v && typeof v === 'object') {
      const inner = firstField(v as Record<string, unknown>, `${prefix}${k}.`)
      if (inner) return inner
    }
  }
  return undefined
}

/** An Admin API call; a refusal throws ApiError with Kong's message (and the field it names). */
export async function admin<T>(
  path: string,
  opts: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const method = opts.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = readStored(TOKEN_STORAGE)
  if (token) headers.authorization = `Bearer ${token}`
  if (method === 'GET') headers[CONSOLE_CLIENT_HEADER[0]] = CONSOLE_CLIENT_HEADER[1]
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  } catch {
    throw new ApiError('network', `The server did not answer ${BASE}${path}: is it running?`)
  }
  if (res.status === 204) return undefined as T
  const body: unknown = await res.json().catch(() => undefined)
  if (res.ok) return body as T
  const k = (body ?? {}) as KongError & { detail?: string }
  const field = firstField(k.fields)
  const base = k.message ?? k.detail ?? `${res.status} from ${BASE}${path}`
  // Kong's message usually names the field already ("schema violation (url: ...)").
  const message = field && !base.includes(field) ? `${base} (${field})` : base
  throw new ApiError('http', message, res.status)
}

/** The admin path prefix of `workspace` (`default` is the unprefixed one, as in Kong). */
export function wsPrefix(workspace: string): string {
  return workspace === 'default' ? '' : `/${encodeURIComponent(workspace)}`
}

/** Every entity of a kind in `workspace` (one page of up to 1,000: a console view, not an export). */
async function all<T>(workspace: string, kind: string, signal?: AbortSignal): Promise<T[]> {
  return (await admin<{ data: T[] }>(`${wsPrefix(workspace)}/${kind}?size=1000`, { signal })).data
}

/**
 * The workspaces this token may see; a gateway without them (DB-less mode, or a server from before
 * workspaces) has only `default`.
 */
export async function listWorkspaces(signal?: AbortSignal): Promise<string[]> {
  try {
    const names = (await admin<{ data: Workspace[] }>('/workspaces', { signal })).data.map((w) => w.name)
    return names.length > 0 ? names : ['default']
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return ['default']
    throw err
  }
}

export interface GatewayConfig {
  workspace: string
  info: NodeInfo
  services: Service[]
  routes: Route[]
  plugins: Plugin[]
  upstreams: (Upstream & { targets: TargetHealth[] })[]
}

/**
 * The configuration `workspace` serves on this node: node info, services, routes, plugins,
 * upstreams with target health.
 */
export async function readConfig(workspace: string, signal?: AbortSignal): Promise<GatewayConfig> {
  const [info, services, routes, plugins, upstreams] = await Promise.all([
    admin<NodeInfo>('', { signal }),
    all<Service>(workspace, 'services', signal),
    all<Route>(workspace, 'routes', signal),
    all<Plugin>(workspace, 'plugins', signal),
    all<Upstream>(workspace, 'upstreams', signal),
  ])
  const withTargets = await Promise.all(
    upstreams.map(async (u) => ({
      ...u,
      targets: (
        await admin<{ data: TargetHealth[] }>(
          `${wsPrefix(workspace)}/upstreams/${encodeURIComponent(u.id)}/health`,
          { signal },
        )
      ).data,
    })),
  )
  return { workspace, info, services, routes, plugins, upstreams: withTargets }
}

/** Create an entity at `path` of `workspace` (`services`, `services/x/routes`, ...). */
export function createEntity<T>(workspace: string, path: string, body: Record<string, unknown>): Promise<T> {
  return admin<T>(`${wsPrefix(workspace)}/${path}`, { method: 'POST', body })
}

/** Delete an entity of `workspace` by id. */
export function deleteEntity(workspace: string, kind: string, id: string): Promise<void> {
  return admin<void>(`${wsPrefix(workspace)}/${kind}/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

/** Turn a plugin of `workspace` on or off. */
export function setPluginEnabled(workspace: string, id: string, enabled: boolean): Promise<Plugin> {
  return admin<Plugin>(`${wsPrefix(workspace)}/plugins/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { enabled },
  })
}
