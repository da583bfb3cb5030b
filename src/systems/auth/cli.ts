/**
 * The system's CLI commands (`npx blueprints auth <command>`): clients,
 * users and signing keys, run in the server holding DATA_DIR when one runs.
 */
import { AppError } from '../../platform/errors.js'
import type { SystemCommand } from '../../platform/system.js'
import { type ClientAuthMethod, DEVICE_CODE, type GrantType, type NewClient } from './clients.js'
import type { AuthParts } from './parts.js'
import type { settings } from './settings.js'

type Command = SystemCommand<typeof settings>
type PartsOf = (ctx: Parameters<Command['run']>[0]) => Promise<AuthParts>

/** `--name value` / `--name=value` flags; a flag given twice keeps both, comma-joined. */
export function parseFlags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    const [k, v] =
      eq > 0
        ? [a.slice(2, eq), a.slice(eq + 1)]
        : [a.slice(2), args[i + 1] && !args[i + 1]!.startsWith('--') ? args[++i]! : 'true']
    out[k] = out[k] ? `${out[k]},${v}` : v
  }
  return out
}

function requireFlag(f: Record<string, string>, name: string): string {
  const v = f[name]
  if (!v || v === 'true') throw new AppError('AUTH_MISSING_FLAG', 400, `give --${name}`)
  return v
}

const csv = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined
const GRANTS = new Set<GrantType>(['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE])

/** A NewClient from CLI flags (AUTH_INVALID_CLIENT for a bad one). */
export function clientFromFlags(f: Record<string, string>): NewClient {
  // `device_code` is short for the device grant's URN.
  const grants =
    csv(f.grant)?.map((g) => (g === 'device_code' ? DEVICE_CODE : g)) ??
    (f['redirect-uri'] ? ['authorization_code', 'refresh_token'] : ['client_credentials'])
  for (const g of grants)
    if (!GRANTS.has(g as GrantType))
      throw new AppError('AUTH_INVALID_CLIENT', 400, `--grant ${g}: one of ${[...GRANTS].join(', ')}`)
  let jwks: NewClient['jwks']
  if (f.jwks) {
    try {
      jwks = JSON.parse(f.jwks)
    } catch {
      throw new AppError('AUTH_INVALID_CLIENT', 400, '--jwks must be a JSON Web Key Set ({"keys":[...]})')
    }
  }
  return {
    ...(f.id && { clientId: f.id }),
    ...(f.name && { name: f.name }),
    grantTypes: grants as GrantType[],
    ...(f['redirect-uri'] && { redirectUris: csv(f['redirect-uri']) }),
    ...(f['post-logout-redirect-uri'] && { postLogoutRedirectUris: csv(f['post-logout-redirect-uri']) }),
    ...(f.scope && { scope: f.scope.replaceAll(',', ' ') }),
    ...(f.public === 'true' && { authMethod: 'none' as ClientAuthMethod }),
    ...(f['auth-method'] && { authMethod: f['auth-method'] as ClientAuthMethod }),
    ...(jwks && { jwks }),
    ...(f.secret && { secret: f.secret }),
  }
}

export function commands(parts: PartsOf): Record<string, Command> {
  return {
    'client create': {
      summary:
        'create a client and print its secret once (--id, --name, --grant client_credentials|authorization_code|refresh_token|device_code, --redirect-uri, --post-logout-redirect-uri, --scope, --public, --jwks JSON)',
      async run(ctx, args, out) {
        const p = await parts(ctx)
        const created = await p.createClient(clientFromFlags(parseFlags(args)))
        out(`client ${created.clientId} created (${String(created.metadata.token_endpoint_auth_method)})`)
        out(`client_id: ${created.clientId}`)
        if (created.clientSecret) {
          out('client_secret (shown only now; only its hash is stored):')
          out(created.clientSecret)
        }
      },
    },
    'client list': {
      summary: 'list clients (id, name, grant types, redirect URIs)',
      async run(ctx, _args, out) {
        const rows = await (await parts(ctx)).clients.list()
        for (const r of rows) {
          const m = r.metadata
          out(
            `${r.clientId}\t${String(m.client_name ?? '')}\t${(m.grant_types as string[]).join(',')}\t${((m.redirect_uris as string[]) ?? []).join(',')}`,
          )
        }
        if (rows.length === 0) out('(no clients)')
      },
    },
    'client delete': {
      summary: 'delete a client (--id ID); its tokens stop working at their next check',
      async run(ctx, args, out) {
        const id = parseFlags(args).id ?? args[0]
        if (!id) throw new Error('give the client id: --id ID')
        const p = await parts(ctx)
        const deleted = await p.clients.delete(id)
        if (deleted) await p.audit.record({ event: 'client.deleted', clientId: id })
        out(deleted ? `client ${id} deleted` : `no client ${id}`)
      },
    },
    'user create': {
      summary: 'create an account (--email, --password, --name, --admin)',
      async run(ctx, args, out) {
        const f = parseFlags(args)
        if (!f.email || !f.password) throw new Error('give --email and --password')
        const user = await (await parts(ctx)).accounts.create({
          email: f.email,
          password: f.password,
          name: f.name,
          isAdmin: f.admin === 'true',
          emailVerified: true,
        })
        out(`user ${user.id} <${user.email}> created${user.isAdmin ? ' (admin)' : ''}`)
      },
    },
    'session list': {
      summary: "list an account's login sessions (--email)",
      async run(ctx, args, out) {
        const p = await parts(ctx)
        const user = await p.accounts.byEmail(requireFlag(parseFlags(args), 'email'))
        if (!user) throw new AppError('AUTH_USER_NOT_FOUND', 404, 'no account has this email')
        const sessions = await p.sessions.list(user.id)
        for (const s of sessions)
          out(
            `${s.uid}\tsigned in ${s.loginAt.toISOString()}\texpires ${s.expiresAt?.toISOString() ?? 'never'}\tclients ${s.clients.join(',') || '-'}`,
          )
        if (sessions.length === 0) out('(no sessions)')
      },
    },
    'session revoke': {
      summary: "revoke an account's sessions and the grants made through them (--email, --uid to revoke one)",
      async run(ctx, args, out) {
        const f = parseFlags(args)
        const p = await parts(ctx)
        const user = await p.accounts.byEmail(requireFlag(f, 'email'))
        if (!user) throw new AppError('AUTH_USER_NOT_FOUND', 404, 'no account has this email')
        const n = await p.sessions.revoke(user.id, f.uid)
        await p.audit.record({ event: 'session.revoked', userId: user.id, detail: { count: n, uid: f.uid } })
        out(`${n} session${n === 1 ? '' : 's'} revoked`)
      },
    },
    'keys list': {
      summary: 'list signing keys (kid, state, dates)',
      async run(ctx, _args, out) {
        for (const k of await (await parts(ctx)).keys.list())
          out(
            `${k.kid}\t${k.state}\tcreated ${k.createdAt.toISOString()}` +
              (k.publishUntil ? `\tpublished until ${k.publishUntil.toISOString()}` : ''),
          )
      },
    },
    'keys rotate': {
      summary:
        'rotate the signing key now (--force: even if the next key is younger than AUTH_KEY_PUBLISH_LEAD_S)',
      async run(ctx, args, out) {
        const r = await (await parts(ctx)).rotateKeys(parseFlags(args).force === 'true')
        out(`signing key ${r.current} now signs; ${r.retired} retired; ${r.next} published as the next key`)
      },
    },
  }
}
