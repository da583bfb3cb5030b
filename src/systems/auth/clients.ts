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
  /** Scopes the client may ask for, space-separated; absent: every scope. */
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

export class ClientRegistry {
  private readonly cache: LRUCache<string, { metadata: Record<string, unknown> | null }> | undefined

  constructor(
    private readonly store: ClientStore,
    cacheMs: number,
  ) {
    this.cache = cacheMs > 0 ? new LRUCache({ max: 10_000, ttl: cacheMs }) : undefined
  }

  /** The provider's view of a client (secret hashed), or undefined; cached for AUTH_CLIENT_CACHE_MS. */
  async metadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    const hit = this.cache?.get(clientId)
    if (hit) return hit.metadata ?? undefined
    const metadata = await this.store.get(clientId)
    this.cache?.set(clientId, { metadata: metadata ?? null })
    return metadata
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
      ...(input.scope && { scope: input.scope }),
    }
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
    if (!(await this.store.insert(clientId, metadata)))
      throw new AppError('AUTH_CLIENT_EXISTS', 409, `a client with id ${clientId} exists`)
    this.cache?.delete(clientId)
    return { clientId, ...(secret && { clientSecret: secret }), metadata }
  }

  /** Create the client unless one with its id exists; true when created. */
  async ensure(input: NewClient & { clientId: string }, validate: MetadataValidator): Promise<boolean> {
    if (await this.store.get(input.clientId)) return false
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

  async delete(clientId: string): Promise<boolean> {
    this.cache?.delete(clientId)
    return this.store.delete(clientId)
  }
}
