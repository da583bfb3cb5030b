/**
 * Passkeys at sign-in: the login page offers "Sign in with a passkey" (a discoverable credential,
 * user verification required: the whole sign-in, `acr=mfa`), and the second-factor page offers the
 * account's passkeys after its password. Each ceremony's challenge is stored under the interaction
 * (`login:` or `mfa:` + uid) and taken by the POST that answers it; the POST carries the
 * interaction's CSRF token like every other form.
 */

import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import {
  csrfRefused,
  csrfToken,
  csrfValid,
  finishLogin,
  type InteractionDeps,
  loadInteraction,
  originOf,
  sendPage,
  stepDone,
} from './interaction.common.js'
import { mfaStepPage } from './mfa.routes.js'
import { interactionBase as base, loginPasskeyForm } from './passkey.forms.js'
import { parseResponse } from './passkeys.js'
import { ACR_MFA } from './provider.config.js'
import { loginPage } from './views.js'

const Params = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 200 }) })
const ResponseBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  response: Type.String({ maxLength: 16 * 1024 }),
})

const REFUSED: Record<string, string> = {
  unknown: 'That passkey is not registered here.',
  invalid: 'The passkey could not be verified. Try again.',
  cloned: 'That passkey was refused: it looks like a copy of an authenticator. Use another way.',
  expired: 'The passkey request expired. Try again.',
}

export function passkeyRoutes(scope: TypedApp, d: InteractionDeps): void {
  scope.post(
    '/interaction/:uid/passkey',
    { schema: { params: Params, body: ResponseBody, hide: true } },
    async (req, reply) => {
      const { details, clientName } = await loadInteraction(d, req, reply)
      if (!csrfValid(d.csrfKey, details.uid, req.body.csrf)) return csrfRefused(reply)
      if (details.prompt.name !== 'login') throw stepDone()
      const clientId = String(details.params.client_id)
      const response = parseResponse<AuthenticationResponseJSON>(req.body.response)
      const r = response
        ? await d.passkeys.authenticate(`login:${details.uid}`, response, { ip: req.ip, clientId })
        : ({ ok: false, reason: 'invalid' } as const)
      const user = r.ok ? await d.accounts.byId(r.userId) : undefined
      if (!r.ok || !user || user.disabled) {
        const page = loginPage({
          action: `${base(d, details.uid)}/login`,
          csrf: csrfToken(d.csrfKey, details.uid),
          clientName,
          forgotUrl: `${d.prefix}/password/forgot`,
          error: REFUSED[r.ok ? 'unknown' : r.reason] ?? REFUSED.invalid!,
          passkey: await loginPasskeyForm(d, details.uid),
        })
        return sendPage(reply, 401, page, originOf(details.params.redirect_uri))
      }
      await d.mfa.finish(details.uid)
      await d.audit.record({
        event: 'login.succeeded',
        userId: user.id,
        ip: req.ip,
        clientId,
        detail: { method: 'passkey' },
      })
      // RFC 8176: a hardware-bound key with user verification (something held, and a PIN or biometric).
      return finishLogin(d, req, reply, {
        accountId: user.id,
        acr: ACR_MFA,
        amr: ['hwk', 'user', 'mfa'],
        remember: true,
      })
    },
  )

  scope.post(
    '/interaction/:uid/mfa/passkey',
    { schema: { params: Params, body: ResponseBody, hide: true } },
    async (req, reply) => {
      const it = await loadInteraction(d, req, reply)
      const uid = it.details.uid
      if (!csrfValid(d.csrfKey, uid, req.body.csrf)) return csrfRefused(reply)
      const pending = it.details.prompt.name === 'login' ? await d.mfa.pending(uid) : undefined
      if (pending?.stage !== 'verify') throw stepDone()
      const clientId = String(it.details.params.client_id)
      const response = parseResponse<AuthenticationResponseJSON>(req.body.response)
      const r = response
        ? await d.passkeys.authenticate(`mfa:${uid}`, response, {
            ip: req.ip,
            clientId,
            expectedUserId: pending.userId,
          })
        : ({ ok: false, reason: 'invalid' } as const)
      if (!r.ok)
        return mfaStepPage(d, reply, {
          uid,
          clientName: it.clientName,
          origins: originOf(it.details.params.redirect_uri),
          pending,
          status: 401,
          error: REFUSED[r.reason] ?? REFUSED.invalid!,
        })
      await d.mfa.finish(uid)
      await d.audit.record({
        event: 'login.succeeded',
        userId: pending.userId,
        ip: req.ip,
        clientId,
        detail: { mfa: 'passkey' },
      })
      return finishLogin(d, req, reply, {
        accountId: pending.userId,
        acr: ACR_MFA,
        amr: ['pwd', 'hwk', 'mfa'],
        remember: true,
      })
    },
  )
}
