/**
 * The client registry: creates clients (the admin CLI, AUTH_INITIAL_CLIENT_ID),
 * hashes their secrets, and hands oidc-provider their metadata through the
 * adapter, with a short cache so that a token request does not read the
 * table each time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { AppError } from '../../platform/errors.js'
import type { ClientStore } from './clients.store.pg.js'

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code'
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials' | typeof DEVICE_CODE

export interface NewClient {
  /** Generated when absent. */
  clientId?: string
  name?: string
  grantTypes: GrantType[]
  redirectUris?: string[]
  postLogoutRedirectUris?: string[]
  /** Scopes the client may ask for, space-separated; absent: the registry's default (every scope but admin). */
  scope?: string
  /** Default: client_secret_basic, or private_key_jwt when jwks is given. 'none' makes a public client. */
  authMethod?: ClientAuthMethod
  /** Public keys of a private_key_jwt client. */
  jwks?: { keys: Record<string, unknown>[] }
  /** The secret to use (AUTH_INITIAL_CLIENT_SECRET); generated when the method needs one. */
  secret?: string
}

export interface CreatedClient {
  clientId: string
  /** Shown once; only its hash is stored. */
  clientSecret?: string
  metadata: Record<string, unknown>
}

/** Checks metadata the way the provider will when it loads the client (throws on invalid metadata). */
export type MetadataValidator = (metadata: Record<string, unknown>) => Promise<void>

const HASH_PREFIX = 'sha256:'
const MIN_SECRET = 16

/** The stored form of a client secret. Secrets are random 256-bit strings, so one SHA-256 is enough. */
export function hashSecret(secret: string): string {
  return HASH_PREFIX + createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Whether `presented` is the secret whose stored form is `stored`, in constant time. */
export function secretMatches(stored: unknown, presented: unknown): boolean {
  if (typeof stored !== 'string' || typeof presented !== 'string' || !stored.startsWith(HASH_PREFIX))
    return false
  const a = Buffer.from(stored, 'utf8')
  const b = Buffer.from(hashSecret(presented), 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/** What an administrator may change on a client (absent: unchanged). */
export interface ClientPatch {
  name?: string
  grantTypes?: GrantType[]
  redirectUris?: string[]
  postLogoutRedirectUris?: string[]
  scope?: string
}

export class ClientRegistry {
  private readonly cache: LRUCache<string, { metadata: Record<string, unknown> | null }> | undefined

  /**
   * `defaultScope`: what a client created without `scope` may ask for. It leaves out `admin`, so
   * that a client can get an admin token only when it was made to (`--scope ... admin`).
   */
  constructor(
    private readonly store: ClientStore,
    cacheMs: number,
    private readonly defaultScope?: string,
  ) {
    this.cache = cacheMs > 0 ? new LRUCache({ max: 10_000, ttl: cacheMs }) : undefined
  }

  /** The provider's view of a client (secret hashed), or undefined; cached for AUTH_CLIENT_CACHE_MS. */
  async metadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    const hit = this.cache?.get(clientId)
    if (hit) return hit.metadata ?? undefined
    const metadata = this.withDefaultScope(await this.store.get(clientId))
    this.cache?.set(clientId, { metadata: metadata ?? null })
    return metadata
  }

  /**
   * A client stored without `scope` (made before clients got one by default) may ask for the
   * default scopes only: without this, oidc-provider would let it ask for every scope, `admin`
   * included, and an upgrade would open the admin API to every older client.
   */
  private withDefaultScope(m: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (!m || m.scope !== undefined || !this.defaultScope) return m
    return { ...m, scope: this.defaultScope }
  }

  /** Create a client; AUTH_CLIENT_EXISTS (409) when the id is taken. */
  async create(input: NewClient, validate: MetadataValidator): Promise<CreatedClient> {
    const clientId = input.clientId ?? randomBytes(12).toString('base64url')
    const method: ClientAuthMethod =
      input.authMethod ?? (input.jwks ? 'private_key_jwt' : 'client_secret_basic')
    const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post'
    if (input.secret !== undefined && !needsSecret)
      throw new AppError('AUTH_INVALID_CLIENT', 400, `a ${method} client has no secret`)
    if (input.secret !== undefined && input.secret.length < MIN_SECRET)
      throw new AppError('AUTH_INVALID_CLIENT', 400, `a client secret has at least ${MIN_SECRET} characters`)
    const secret = needsSecret ? (input.secret ?? randomBytes(32).toString('base64url')) : undefined
    const code = input.grantTypes.includes('authorization_code')
    const metadata: Record<string, unknown> = {
      client_id: clientId,
      ...(input.name && { client_name: input.name }),
      grant_types: input.grantTypes,
      response_types: code ? ['code'] : [],
      redirect_uris: input.redirectUris ?? [],
      ...(input.postLogoutRedirectUris && { post_logout_redirect_uris: input.postLogoutRedirectUris }),
      token_endpoint_auth_method: method,
      ...(secret && { client_secret: hashSecret(secret) }),
      ...(input.jwks && { jwks: input.jwks }),
      ...((input.scope ?? this.defaultScope) && { scope: input.scope ?? this.defaultScope }),
    }
    await this.validated(metadata, validate)
    if (!(await this.store.insert(clientId, metadata)))
      throw new AppError('AUTH_CLIENT_EXISTS', 409, `a client with id ${clientId} exists`)
    this.cache?.delete(clientId)
    return { clientId, ...(secret && { clientSecret: secret }), metadata }
  }

  /**
   * Create the client unless one with its id exists; true when created. An existing client stored
   * without `scope` (made before clients had one) gets `input.scope`, so the bootstrap client keeps
   * what it is given now rather than the default.
   */
  async ensure(input: NewClient & { clientId: string }, validate: MetadataValidator): Promise<boolean> {
    const existing = await this.store.get(input.clientId)
    if (existing) {
      if (existing.scope === undefined && input.scope !== undefined)
        await this.update(input.clientId, { scope: input.scope }, validate)
      return false
    }
    try {
      await this.create(input, validate)
      return true
    } catch (err) {
      // Another process created it meanwhile.
      if (err instanceof AppError && err.code === 'AUTH_CLIENT_EXISTS') return false
      throw err
    }
  }

  list() {
    return this.store.list()
  }

  /** A page of clients by id, after `after`. */
  page(after: string | undefined, limit: number) {
    return this.store.page(after, limit)
  }

  /** Change a client; undefined when there is none, AUTH_INVALID_CLIENT for metadata the provider refuses. */
  async update(
    clientId: string,
    patch: ClientPatch,
    validate: MetadataValidator,
  ): Promise<Record<string, unknown> | undefined> {
    const before = await this.store.get(clientId)
    if (!before) return undefined
    const grants = patch.grantTypes ?? (before.grant_types as GrantType[])
    const metadata: Record<string, unknown> = {
      ...before,
      ...(patch.name !== undefined && { client_name: patch.name }),
      ...(patch.grantTypes && {
        grant_types: patch.grantTypes,
        response_types: grants.includes('authorization_code') ? ['code'] : [],
      }),
      ...(patch.redirectUris && { redirect_uris: patch.redirectUris }),
      ...(patch.postLogoutRedirectUris && { post_logout_redirect_uris: patch.postLogoutRedirectUris }),
      ...(patch.scope !== undefined && { scope: patch.scope }),
    }
    await this.validated(metadata, validate)
    if (!(await this.store.update(clientId, metadata))) return undefined
    this.cache?.delete(clientId)
    return metadata
  }

  /** A new secret for a client that has one (shown once); undefined when there is no such client. */
  async rotateSecret(clientId: string): Promise<string | undefined> {
    const before = await this.store.get(clientId)
    if (!before) return undefined
    if (typeof before.client_secret !== 'string')
      throw new AppError('AUTH_INVALID_CLIENT', 400, `client ${clientId} authenticates without a secret`)
    const secret = randomBytes(32).toString('base64url')
    if (!(await this.store.update(clientId, { ...before, client_secret: hashSecret(secret) })))
      return undefined
    this.cache?.delete(clientId)
    return secret
  }

  private async validated(metadata: Record<string, unknown>, validate: MetadataValidator): Promise<void> {
    try {
      await validate(metadata)
    } catch (err) {
      const e = err as { error_description?: string; message?: string }
      throw new AppError(
        'AUTH_INVALID_CLIENT',
        400,
        e.error_description ?? e.message ?? 'invalid client metadata',
      )
    }
  }

  async delete(clientId: string): Promise<boolean> {
    this.cache?.delete(clientId)
    return this.store.delete(clientId)
  }
}
