/**
 * Kong's declarative format (DB-less, `_format_version` "3.0", also 1.1 and 2.1) -> a validated
 * GatewayConfig. Entities may be nested the way Kong nests them (routes and plugins under services,
 * plugins under routes, credentials and plugins under consumers, targets under upstreams) or listed at
 * the top level with references by name or id. Anything we do not support is refused naming it.
 */
import { createHash } from 'node:crypto'
import {
  consumerSchema,
  jwtSecretSchema,
  keyauthCredentialSchema,
  pluginSchema,
  routeSchema,
  serviceSchema,
  targetSchema,
  upstreamSchema,
} from './entities.js'
import { type Schema, validateRecord } from './fields.js'
import { hashKey } from './key-hash.js'
import { compileRegexPath } from './regex-path.js'
import {
  ConfigViolation,
  type Consumer,
  emptyConfig,
  type GatewayConfig,
  type Json,
  type JwtSecret,
  type KeyAuthCredential,
  type Plugin,
  type Route,
  type Service,
  type Target,
  type Upstream,
} from './types.js'

/** Validates a plugin's `config` (filling defaults); undefined when the plugin is not supported. */
export type PluginConfigValidator = (name: string, config: Json, path: string) => Json | undefined

const TOP_LEVEL = new Set([
  '_format_version',
  '_transform',
  '_comment',
  '_info',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'keyauth_credentials',
  'jwt_secrets',
  'plugins',
])
const FORMATS = new Set(['1.1', '2.1', '3.0'])
const MAX_ENTITIES = 100_000

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A stable id for an entity without one, so a reload keeps counters and health keyed alike. */
export function stableId(kind: string, natural: string): string {
  const h = createHash('sha1').update(`${kind}:${natural}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

interface Raw {
  kind: string
  path: string
  body: Json
  /** The parent's natural reference, for nested entities. */
  parent?: Record<string, string>
}

function list(doc: Json, key: string, path: string): Json[] {
  const v = doc[key]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new ConfigViolation(`${path}${key}: expected an array`)
  v.forEach((item, i) => {
    if (!isObject(item)) throw new ConfigViolation(`${path}${key}[${i}]: expected a record`)
  })
  return v as Json[]
}

/** The entity with an id (its own, or a stable one from its name or place), so children can name it. */
function withId(kind: string, body: Json, natural: unknown, path: string): Json {
  if (body.id !== undefined) return body
  return { ...body, id: stableId(kind, typeof natural === 'string' ? natural : path) }
}

/** Split nested entities out of their parents, noting the parent reference. */
function flatten(doc: Json): Raw[] {
  const out: Raw[] = []
  const take = (kind: string, items: Json[], path: string, parent?: Record<string, string>) => {
    items.forEach((body, i) => {
      out.push({ kind, path: `${path}[${i}]`, body, parent })
    })
  }
  const nested = (_kind: string, body: Json, _path: string, children: string[]) => {
    const own = { ...body }
    for (const c of children) delete own[c]
    return own
  }
  list(doc, 'services', '').forEach((svc0, i) => {
    const path = `services[${i}]`
    const svc = withId('services', svc0, svc0.name, path)
    const ref = String(svc.id)
    out.push({ kind: 'services', path, body: nested('services', svc, path, ['routes', 'plugins']) })
    list(svc, 'routes', `${path}.`).forEach((route0, j) => {
      const rpath = `${path}.routes[${j}]`
      const route = withId('routes', route0, route0.name, rpath)
      const rref = String(route.id)
      out.push({
        kind: 'routes',
        path: rpath,
        body: nested('routes', route, rpath, ['plugins']),
        parent: { service: ref },
      })
      take('plugins', list(route, 'plugins', `${rpath}.`), `${rpath}.plugins`, { route: rref })
    })
    take('plugins', list(svc, 'plugins', `${path}.`), `${path}.plugins`, { service: ref })
  })
  list(doc, 'routes', '').forEach((route0, i) => {
    const path = `routes[${i}]`
    const route = withId('routes', route0, route0.name, path)
    const rref = String(route.id)
    out.push({ kind: 'routes', path, body: nested('routes', route, path, ['plugins']) })
    take('plugins', list(route, 'plugins', `${path}.`), `${path}.plugins`, { route: rref })
  })
  list(doc, 'consumers', '').forEach((c0, i) => {
    const path = `consumers[${i}]`
    const c = withId('consumers', c0, c0.username ?? c0.custom_id, path)
    const ref = String(c.id)
    out.push({
      kind: 'consumers',
      path,
      body: nested('consumers', c, path, ['plugins', 'keyauth_credentials', 'jwt_secrets']),
    })
    for (const k of ['plugins', 'keyauth_credentials', 'jwt_secrets'])
      take(k, list(c, k, `${path}.`), `${path}.${k}`, { consumer: ref })
  })
  list(doc, 'upstreams', '').forEach((u0, i) => {
    const path = `upstreams[${i}]`
    const u = withId('upstreams', u0, u0.name, path)
    out.push({ kind: 'upstreams', path, body: nested('upstreams', u, path, ['targets']) })
    take('targets', list(u, 'targets', `${path}.`), `${path}.targets`, { upstream: String(u.id ?? u.name) })
  })
  for (const k of ['targets', 'keyauth_credentials', 'jwt_secrets', 'plugins']) take(k, list(doc, k, ''), k)
  return out
}

const SCHEMAS: Record<string, Schema> = {
  services: serviceSchema,
  routes: routeSchema,
  upstreams: upstreamSchema,
  targets: targetSchema,
  consumers: consumerSchema,
  keyauth_credentials: keyauthCredentialSchema,
  jwt_secrets: jwtSecretSchema,
  plugins: pluginSchema,
}

/** A reference written as a name/id string or as `{ id }` / `{ name }` (the admin API's form). */
function refOf(v: unknown, path: string): string | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return v
  if (isObject(v)) {
    const keys = Object.keys(v)
    const r = v.id ?? v.name ?? v.username
    if (typeof r === 'string' && keys.length === 1) return r
  }
  throw new ConfigViolation(`${path}: expected a name or id, or { "id": ... }`)
}

function parseUrl(url: string, path: string): Pick<Service, 'protocol' | 'host' | 'port' | 'path'> {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigViolation(`${path}.url: invalid URL ${JSON.stringify(url)}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigViolation(
      `${path}.url: protocol ${u.protocol.slice(0, -1)} is not supported (http, https)`,
    )
  if (u.username || u.password || u.search || u.hash)
    throw new ConfigViolation(`${path}.url: credentials, query and fragment are not supported`)
  const protocol = u.protocol === 'https:' ? 'https' : 'http'
  return {
    protocol,
    host: u.hostname,
    port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80,
    path: u.pathname === '/' && !url.replace(/^[a-z]+:\/\/[^/]*/i, '').startsWith('/') ? null : u.pathname,
  }
}

/** Validate a whole declarative document; throws ConfigViolation naming the first problem. */
export function normalizeConfig(doc: unknown, plugins: PluginConfigValidator): GatewayConfig {
  if (!isObject(doc)) throw new ConfigViolation('the declarative config must be a map of entities')
  const fv = doc._format_version
  if (fv !== undefined && !FORMATS.has(String(fv)))
    throw new ConfigViolation(`_format_version: unsupported version ${JSON.stringify(fv)} (1.1, 2.1, 3.0)`)
  for (const key of Object.keys(doc))
    if (!TOP_LEVEL.has(key)) throw new ConfigViolation(`${key}: unknown or unsupported entity type`)
  const raws = flatten(doc)
  if (raws.length > MAX_ENTITIES)
    throw new ConfigViolation(`the config holds more than ${MAX_ENTITIES} entities`)

  const cfg = emptyConfig()
  const now = Math.floor(Date.now() / 1000)
  // Pass 1: validate each entity's own fields and give it an id.
  const validated = raws.map((raw, order) => {
    const body = { ...raw.body }
    const config = body.config
    if (raw.kind === 'plugins') delete body.config
    const v = validateRecord(SCHEMAS[raw.kind]!, body, raw.path)
    if (raw.kind === 'plugins') {
      const name = v.name as string
      if (config !== undefined && config !== null && !isObject(config))
        throw new ConfigViolation(`${raw.path}.config: expected a record`)
      const c = plugins(name, (config ?? {}) as Json, `${raw.path}.config`)
      if (!c)
        throw new ConfigViolation(`${raw.path}.name: plugin '${name}' is not supported by this gateway`, {
          name,
        })
      v.config = c
    }
    for (const [k, ref] of Object.entries(raw.parent ?? {})) {
      if (v[k] !== null && v[k] !== undefined)
        throw new ConfigViolation(`${raw.path}.${k}: set by the parent entity already`)
      v[k] = ref
    }
    const natural = String(
      v.name ?? v.username ?? v.key ?? (v.target ? `${v.upstream}/${v.target}` : undefined) ?? `${raw.path}`,
    )
    v.id ??= stableId(
      raw.kind,
      raw.kind === 'plugins' ? `${v.name}:${v.route}:${v.service}:${v.consumer}` : natural,
    )
    v.created_at ??= now
    return { raw, v, order }
  })
  // Lookups by id and by name for references.
  const byKind = new Map<string, Map<string, Json>>()
  for (const { raw, v } of validated) {
    const m = byKind.get(raw.kind) ?? new Map<string, Json>()
    byKind.set(raw.kind, m)
    const keys =
      raw.kind === 'consumers'
        ? [v.id, v.username, v.custom_id]
        : raw.kind === 'services' || raw.kind === 'routes' || raw.kind === 'upstreams'
          ? [v.id, v.name]
          : [v.id]
    for (const k of keys) {
      if (typeof k !== 'string') continue
      if (m.has(k) && m.get(k) !== v)
        throw new ConfigViolation(
          `${raw.path}: ${k === v.id ? 'id' : 'name'} ${JSON.stringify(k)} is used by two ${raw.kind}`,
          {},
          true,
        )
      m.set(k, v)
    }
  }
  const resolve = (kind: string, v: Json, field: string, path: string, required: boolean) => {
    const r = refOf(v[field], `${path}.${field}`)
    if (r === null) {
      if (required) throw new ConfigViolation(`${path}.${field}: required field missing`)
      v[field] = null
      return
    }
    const target = byKind.get(kind)?.get(r)
    if (!target)
      throw new ConfigViolation(`${path}.${field}: no ${kind.slice(0, -1)} named ${JSON.stringify(r)}`)
    v[field] = target.id
  }
  const seen = new Set<string>()
  const unique = (key: string, path: string, what: string) => {
    if (seen.has(key)) throw new ConfigViolation(`${path}: ${what}`, {}, true)
    seen.add(key)
  }
  for (const { raw, v } of validated) {
    const path = raw.path
    switch (raw.kind) {
      case 'services': {
        if (typeof v.url === 'string') Object.assign(v, parseUrl(v.url, path))
        else if (typeof v.host !== 'string')
          throw new ConfigViolation(`${path}.host: required field missing (or url)`)
        else if (raw.body.port === undefined && v.protocol === 'https') v.port = 443
        delete v.url
        cfg.services.push(v as unknown as Service)
        break
      }
      case 'routes': {
        resolve('services', v, 'service', path, false)
        const r = v as unknown as Route
        if (![426, 301, 302, 307, 308].includes(r.https_redirect_status_code))
          throw new ConfigViolation(
            `${path}.https_redirect_status_code: expected one of: 426, 301, 302, 307, 308`,
          )
        if (
          !r.methods?.length &&
          !r.hosts?.length &&
          !r.paths?.length &&
          !Object.keys(r.headers ?? {}).length
        )
          throw new ConfigViolation(
            `${path}: must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'`,
          )
        for (const [i, p] of (r.paths ?? []).entries())
          if (p.startsWith('~')) compileRegexPath(p, `${path}.paths[${i}]`)
          else if (/[?#]/.test(p))
            throw new ConfigViolation(`${path}.paths[${i}]: must not hold a query or fragment`)
        for (const name of Object.keys(r.headers ?? {}))
          if (name.toLowerCase() === 'host')
            throw new ConfigViolation(`${path}.headers: use 'hosts' to match on Host`)
        r.headers = r.headers
          ? Object.fromEntries(Object.entries(r.headers).map(([k, vs]) => [k.toLowerCase(), vs]))
          : null
        cfg.routes.push(r)
        break
      }
      case 'upstreams':
        unique(`u:${v.name}`, path, `upstream name ${JSON.stringify(v.name)} is used twice`)
        cfg.upstreams.push(v as unknown as Upstream)
        break
      case 'targets': {
        resolve('upstreams', v, 'upstream', path, true)
        const t = v.target as string
        if (!/:\d+$/.test(t) || t.endsWith(']')) v.target = `${t}:8000`
        unique(`t:${v.upstream}:${v.target}`, path, `target ${v.target} is listed twice in its upstream`)
        cfg.targets.push(v as unknown as Target)
        break
      }
      case 'consumers':
        if (v.username === null && v.custom_id === null)
          throw new ConfigViolation(
            `${path}: at least one of these fields must be non-empty: 'custom_id', 'username'`,
          )
        cfg.consumers.push(v as unknown as Consumer)
        break
      case 'keyauth_credentials':
        resolve('consumers', v, 'consumer', path, true)
        if (typeof v.key === 'string') v.key_hash = hashKey(v.key)
        else if (typeof v.key_hash !== 'string')
          throw new ConfigViolation(`${path}.key: required field missing`, { key: 'required field missing' })
        v.key = null
        unique(`k:${v.key_hash}`, path, 'this key is given to two credentials')
        cfg.keyauth_credentials.push(v as unknown as KeyAuthCredential)
        break
      case 'jwt_secrets': {
        resolve('consumers', v, 'consumer', path, true)
        v.key ??= v.id
        v.secret ??= String(v.algorithm).startsWith('HS')
          ? createHash('sha256').update(String(v.id)).digest('hex')
          : null
        if (!String(v.algorithm).startsWith('HS') && !v.rsa_public_key)
          throw new ConfigViolation(`${path}.rsa_public_key: required for algorithm ${v.algorithm}`)
        unique(`j:${v.key}`, path, 'this jwt key is given to two secrets')
        cfg.jwt_secrets.push(v as unknown as JwtSecret)
        break
      }
      case 'plugins': {
        resolve('services', v, 'service', path, false)
        resolve('routes', v, 'route', path, false)
        resolve('consumers', v, 'consumer', path, false)
        unique(
          `p:${v.name}:${v.route}:${v.service}:${v.consumer}`,
          path,
          `plugin '${v.name}' is configured twice on the same route, service and consumer`,
        )
        cfg.plugins.push(v as unknown as Plugin)
        break
      }
    }
  }
  return cfg
}
