/**
 * What the sign-in pages share (`interactions.routes.ts`, `mfa.routes.ts`): the CSRF token bound
 * to an interaction, the page sender with its headers, the interaction of this browser, and the
 * hand-back of a finished login to oidc-provider.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { InteractionResults } from 'oidc-provider'
import type { Accounts } from './accounts.js'
import type { AuditLog } from './audit.js'
import type { Mfa } from './mfa.js'
import { errors } from './oidc-provider.js'
import type { Organisations } from './organisations.js'
import type { Passkeys } from './passkeys.js'
import type { OidcProvider } from './provider.js'
import { errorPage, pageHeaders } from './views.js'
import { WEBAUTHN_SCRIPT_HASH, WEBAUTHN_SCRIPT_TAG } from './webauthn.views.js'

export interface InteractionDeps {
  holder: OidcProvider
  issuer: () => string
  accounts: Accounts
  mfa: Mfa
  passkeys: Passkeys
  orgs: Organisations
  audit: AuditLog
  /** Key of the CSRF tokens (an installation secret). */
  csrfKey: string
  prefix: string
  /** The login page links to the sign-up page. */
  signUp?: boolean
}

export function csrfToken(key: string, uid: string): string {
  return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url')
}

export function csrfValid(key: string, uid: string, presented: string): boolean {
  const a = Buffer.from(csrfToken(key, uid))
  const b = Buffer.from(presented)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function originOf(uri: unknown): string[] {
  try {
    return typeof uri === 'string' ? [new URL(uri).origin] : []
  } catch {
    return []
  }
}

/** Send a page with its headers; a page that offers a passkey may run the ceremony's script. */
export function sendPage(reply: FastifyReply, status: number, html: string, formOrigins: string[] = []) {
  const script = html.includes(WEBAUTHN_SCRIPT_TAG) ? WEBAUTHN_SCRIPT_HASH : undefined
  return reply.code(status).headers(pageHeaders(formOrigins, script)).send(html)
}

export function csrfRefused(reply: FastifyReply) {
  return sendPage(
    reply,
    403,
    errorPage('Sign-in refused', { detail: 'The form was not sent from this page. Go back and try again.' }),
  )
}

export const stepDone = () => Object.assign(new Error('this step is already done'), { statusCode: 400 })

/** The interaction of this browser (its cookie), checked against the uid in the path. */
export async function loadInteraction(
  d: InteractionDeps,
  req: { raw: IncomingMessage; params: { uid: string } },
  reply: FastifyReply,
) {
  const { provider } = d.holder.get(d.issuer())
  const details = await provider.interactionDetails(req.raw, reply.raw)
  if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction mismatch')
  const client = await provider.Client.find(String(details.params.client_id))
  return { provider, details, client, clientName: client?.clientName ?? String(details.params.client_id) }
}

/** Hand a finished login back to the provider and send the browser on (303). */
export async function finishLogin(
  d: InteractionDeps,
  req: { raw: IncomingMessage },
  reply: FastifyReply,
  login: NonNullable<InteractionResults['login']>,
) {
  const { provider } = d.holder.get(d.issuer())
  const to = await provider.interactionResult(
    req.raw,
    reply.raw,
    { login },
    { mergeWithLastSubmission: false },
  )
  return reply.code(303).header('cache-control', 'no-store').redirect(to, 303)
}
