/**
 * Who may call the admin API. GATEWAY_ADMIN_TOKEN is the whole gateway's (every workspace, and
 * creating or deleting workspaces); each GATEWAY_WORKSPACE_TOKENS entry `workspace:token` gives a
 * token the named workspace (list a token again for more). A scoped token calling outside its
 * workspaces gets 403; an unknown token 401. With neither setting, the admin API is open. Tokens
 * are compared as SHA-256 digests in constant time, so timing says nothing about them.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../../../platform/errors.js'
import { bearerSecurity } from '../../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../../platform/http/types.js'
import { ConfigError } from '../../../platform/settings.js'
import { DEFAULT_WORKSPACE } from '../config/types.js'

const digest = (v: string): Buffer => createHash('sha256').update(v).digest()

/** What a caller may touch: every workspace, or these. */
export type Allowed = 'all' | ReadonlySet<string>

const CHALLENGE = 'Bearer realm="gateway"'
const MESSAGE =
  'the gateway admin API needs Authorization: Bearer <GATEWAY_ADMIN_TOKEN> (or a workspace token of GATEWAY_WORKSPACE_TOKENS)'

export class AdminAccess {
  private readonly root: Buffer | undefined
  private readonly scoped: { digest: Buffer; workspaces: Set<string> }[] = []
  private readonly allowedOf = new WeakMap<FastifyRequest, Allowed>()

  constructor(rootToken: string | undefined, workspaceTokens: readonly string[]) {
    this.root = rootToken ? digest(rootToken) : undefined
    const byToken = new Map<string, Set<string>>()
    for (const [i, entry] of workspaceTokens.entries()) {
      const colon = entry.indexOf(':')
      const ws = entry.slice(0, colon)
      const token = entry.slice(colon + 1)
      // The value is never echoed: it holds a secret.
      if (colon < 1 || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(ws) || token.length < 8)
        throw new ConfigError(
          `GATEWAY_WORKSPACE_TOKENS: entry ${i + 1} must be workspace:token (a token of 8 characters or more)`,
        )
      const set = byToken.get(token) ?? new Set<string>()
      set.add(ws)
      byToken.set(token, set)
    }
    for (const [token, workspaces] of byToken) this.scoped.push({ digest: digest(token), workspaces })
  }

  get open(): boolean {
    return !this.root && this.scoped.length === 0
  }

  /** The workspaces `header` (an Authorization value) may act on; undefined: no valid token. */
  private check(header: string | undefined): Allowed | undefined {
    const sent = digest(/^Bearer +(\S+) *$/i.exec(header ?? '')?.[1] ?? '')
    // Every configured token is compared, so the time does not say which one (or none) matched.
    let found: Allowed | undefined
    if (this.root && timingSafeEqual(sent, this.root)) found = 'all'
    for (const s of this.scoped) if (timingSafeEqual(sent, s.digest) && !found) found = s.workspaces
    return header ? found : undefined
  }

  /** What the request's caller may touch (after the guard ran). */
  allowed(req: FastifyRequest): Allowed {
    return this.allowedOf.get(req) ?? 'all'
  }

  /** Whether the caller may act on `ws`. */
  may(req: FastifyRequest, ws: string): boolean {
    const a = this.allowed(req)
    return a === 'all' || a.has(ws)
  }

  /**
   * Guard every route `app` registers after this call. `workspaceOf` says which workspace a
   * request acts on (undefined: none, e.g. the workspace list, which the handlers filter).
   */
  guard(app: TypedApp, workspaceOf: (req: FastifyRequest) => string | undefined): void {
    if (this.open) return
    const scope = app as unknown as FastifyInstance
    const security = bearerSecurity(app, {
      token: 'set',
      code: 'GATEWAY_UNAUTHORIZED',
      realm: 'gateway',
      message: MESSAGE,
    })
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security }
    })
    scope.addHook('onRequest', async (req) => {
      const allowed = this.check(req.headers.authorization)
      if (!allowed)
        throw new AppError('GATEWAY_UNAUTHORIZED', 401, MESSAGE, {
          headers: { 'www-authenticate': CHALLENGE },
        })
      this.allowedOf.set(req, allowed)
      const ws = workspaceOf(req)
      if (ws !== undefined && allowed !== 'all' && !allowed.has(ws))
        throw new AppError(
          'GATEWAY_FORBIDDEN',
          403,
          `this admin token may not act on workspace '${ws.slice(0, 64)}'`,
        )
    })
  }
}

/** The workspace named by a `/{workspace}/...` admin path, or the default one. */
export function pathWorkspace(req: FastifyRequest): string {
  return (req.params as { workspace?: string } | undefined)?.workspace ?? DEFAULT_WORKSPACE
}
