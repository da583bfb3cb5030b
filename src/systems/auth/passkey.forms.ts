/**
 * The passkey forms of the sign-in pages (their ceremony options, stored challenge and CSRF
 * token): on the login page as the first factor, on the second-factor page for an account's own
 * passkeys. The POSTs that answer them are in `passkey.routes.ts`.
 */
import { csrfToken, type InteractionDeps } from './interaction.common.js'
import { passkeyForm } from './webauthn.views.js'

/** The path of interaction `uid`'s pages. */
export const interactionBase = (d: InteractionDeps, uid: string) =>
  `${d.prefix}/interaction/${encodeURIComponent(uid)}`

/** The login page's passkey form (first factor) for interaction `uid`. */
export async function loginPasskeyForm(d: InteractionDeps, uid: string): Promise<string> {
  return passkeyForm({
    action: `${interactionBase(d, uid)}/passkey`,
    csrf: csrfToken(d.csrfKey, uid),
    options: await d.passkeys.authenticationOptions(`login:${uid}`),
    mode: 'get',
    label: 'Sign in with a passkey',
  })
}

/** The second-factor page's passkey form, when the account has a passkey. */
export async function mfaPasskeyForm(d: InteractionDeps, uid: string, userId: string) {
  if (!(await d.passkeys.has(userId))) return undefined
  return passkeyForm({
    action: `${interactionBase(d, uid)}/mfa/passkey`,
    csrf: csrfToken(d.csrfKey, uid),
    options: await d.passkeys.authenticationOptions(`mfa:${uid}`, userId),
    mode: 'get',
    label: 'Use a passkey',
  })
}
