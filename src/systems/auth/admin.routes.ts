/**
 * The admin REST API under /auth/admin: clients, accounts and their sessions, grants, signing
 * keys, the audit log, organisations (roles, members, invitations). Every route needs an access token of this issuer with the `admin` scope,
 * checked by platform/auth as any other system checks our tokens (here with the keys in memory).
 * Who made a change (the token's `sub`) is the audit log's `actor`.
 */
import type { TokenVerifier } from '../../platform/auth/index.js'
import { tokenAuth } from '../../platform/auth/index.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { Registry } from '../../platform/telemetry/metrics.js'
import { adminAuditRoutes } from './admin-audit.routes.js'
import { adminClientRoutes } from './admin-clients.routes.js'
import { adminKeyRoutes } from './admin-keys.routes.js'
import { adminOrgRoutes } from './admin-orgs.routes.js'
import { adminUserRoutes } from './admin-users.routes.js'
import type { EmailVerifications } from './email-verification.js'
import type { Invitations } from './invitations.js'
import { ADMIN_SCOPE, type AuthParts } from './parts.js'

export interface AdminOptions {
  parts: AuthParts
  verifier: TokenVerifier
  verifications: EmailVerifications
  invitations: Invitations
  metrics: Registry
}

/** Register the admin API in its own scope at /admin (under the system's /auth). */
export async function adminRoutes(app: TypedApp, o: AdminOptions): Promise<void> {
  await app.register(
    async (scope) => {
      tokenAuth(scope, {
        verifier: o.verifier,
        realm: 'auth-admin',
        scopes: [ADMIN_SCOPE],
        metrics: o.metrics,
      })
      adminClientRoutes(scope, o.parts)
      adminUserRoutes(scope, o.parts, o.verifications)
      adminKeyRoutes(scope, o.parts)
      adminAuditRoutes(scope, o.parts)
      adminOrgRoutes(scope, o.parts, o.invitations)
    },
    { prefix: '/admin' },
  )
}
