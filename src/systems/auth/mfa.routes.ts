/**
 * The second-factor steps of a sign-in, under `/auth/interaction/:uid/mfa`: a code (TOTP or a
 * recovery code) for an enrolled account; for an account that must enrol, the enrolment and then
 * the recovery codes. Each POST carries the interaction's CSRF token, checks that the interaction
 * is still at its login prompt and that its password step passed (`mfa_pending`), and only a
 * accepted code hands the login to oidc-provider (`finishLogin`).
 */
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
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
import type { MfaStage } from './mfa.js'
import { enrolPage, mfaPage, recoveryCodesPage } from './mfa.views.js'
import { mfaPasskeyForm } from './passkey.forms.js'
import { ACR_MFA } from './provider.config.js'
import { otpauthUri } from './totp.js'

const Params = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 200 }) })
const CodeBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  code: Type.String({ maxLength: 100 }),
})
const CsrfBody = Type.Object({ csrf: Type.String({ maxLength: 200 }) })

const actionOf = (d: InteractionDeps, uid: string, step: string) =>
  `${d.prefix}/interaction/${encodeURIComponent(uid)}/mfa${step}`

/** The page of the second-factor step interaction `uid` is at. */
export async function mfaStepPage(
  d: InteractionDeps,
  reply: FastifyReply,
  v: {
    uid: string
    clientName: string
    origins: string[]
    pending: { userId: string; stage: MfaStage }
    error?: string
    status?: number
  },
) {
  const csrf = csrfToken(d.csrfKey, v.uid)
  const status = v.status ?? 200
  if (v.pending.stage === 'verify')
    return sendPage(
      reply,
      status,
      mfaPage({
        action: actionOf(d, v.uid, ''),
        csrf,
        clientName: v.clientName,
        error: v.error,
        passkey: await mfaPasskeyForm(d, v.uid, v.pending.userId),
      }),
      v.origins,
    )
  if (v.pending.stage === 'enrolled')
    return sendPage(
      reply,
      status,
      recoveryCodesPage({ action: actionOf(d, v.uid, '/continue'), csrf }),
      v.origins,
    )
  const user = await d.accounts.byId(v.pending.userId)
  const secret = user && (await d.mfa.enrolmentSecret(user.id))
  if (!user || !secret) throw stepDone()
  return sendPage(
    reply,
    status,
    enrolPage({
      action: actionOf(d, v.uid, '/enrol'),
      csrf,
      clientName: v.clientName,
      error: v.error,
      secret,
      otpauthUri: otpauthUri(secret, new URL(d.issuer()).host, user.email),
    }),
    v.origins,
  )
}

export function mfaRoutes(scope: TypedApp, d: InteractionDeps): void {
  /** The interaction, its CSRF check, and its pending step (which must be `stage`). */
  const step = async (
    req: Parameters<typeof loadInteraction>[1] & { body: { csrf: string } },
    reply: FastifyReply,
    stage: MfaStage,
  ) => {
    const it = await loadInteraction(d, req, reply)
    if (!csrfValid(d.csrfKey, it.details.uid, req.body.csrf)) return undefined
    const pending = it.details.prompt.name === 'login' ? await d.mfa.pending(it.details.uid) : undefined
    if (!pending || pending.stage !== stage) throw stepDone()
    return { ...it, pending, origins: originOf(it.details.params.redirect_uri) }
  }
  const failed = (
    reply: FastifyReply,
    at: NonNullable<Awaited<ReturnType<typeof step>>>,
    retryAfterMs: number,
    wrong: string,
  ) => {
    const seconds = Math.ceil(retryAfterMs / 1000)
    if (retryAfterMs > 0) reply.header('retry-after', String(seconds))
    return mfaStepPage(d, reply, {
      uid: at.details.uid,
      clientName: at.clientName,
      origins: at.origins,
      pending: at.pending,
      status: retryAfterMs > 0 ? 429 : 401,
      error: retryAfterMs > 0 ? `Too many attempts. Try again in ${seconds} s.` : wrong,
    })
  }

  scope.post(
    '/interaction/:uid/mfa',
    { schema: { params: Params, body: CodeBody, hide: true } },
    async (req, reply) => {
      const at = await step(req, reply, 'verify')
      if (!at) return csrfRefused(reply)
      const clientId = String(at.details.params.client_id)
      const r = await d.mfa.verify(at.pending.userId, req.body.code, req.ip, clientId)
      if (!r.ok) return failed(reply, at, r.retryAfterMs, 'That code is not right. Try again.')
      await d.mfa.finish(at.details.uid)
      await d.audit.record({
        event: 'login.succeeded',
        userId: at.pending.userId,
        ip: req.ip,
        clientId,
        detail: { mfa: r.method },
      })
      // RFC 8176: pwd + otp (an authenticator app), or pwd + mfa for a recovery code.
      const amr = r.method === 'totp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'mfa']
      return finishLogin(d, req, reply, { accountId: at.pending.userId, acr: ACR_MFA, amr, remember: true })
    },
  )

  scope.post(
    '/interaction/:uid/mfa/enrol',
    { schema: { params: Params, body: CodeBody, hide: true } },
    async (req, reply) => {
      const at = await step(req, reply, 'enrol')
      if (!at) return csrfRefused(reply)
      const r = await d.mfa.confirmEnrolment(at.details.uid, at.pending.userId, req.body.code, req.ip)
      if (!r.ok)
        return failed(reply, at, r.retryAfterMs, 'That code is not right. Check the key and try again.')
      const csrf = csrfToken(d.csrfKey, at.details.uid)
      const page = recoveryCodesPage({
        action: actionOf(d, at.details.uid, '/continue'),
        csrf,
        codes: r.recoveryCodes,
      })
      return sendPage(reply, 200, page, at.origins)
    },
  )

  scope.post(
    '/interaction/:uid/mfa/continue',
    { schema: { params: Params, body: CsrfBody, hide: true } },
    async (req, reply) => {
      const at = await step(req, reply, 'enrolled')
      if (!at) return csrfRefused(reply)
      await d.mfa.finish(at.details.uid)
      await d.audit.record({
        event: 'login.succeeded',
        userId: at.pending.userId,
        ip: req.ip,
        clientId: String(at.details.params.client_id),
        detail: { mfa: 'enrolled' },
      })
      return finishLogin(d, req, reply, {
        accountId: at.pending.userId,
        acr: ACR_MFA,
        amr: ['pwd', 'otp', 'mfa'],
        remember: true,
      })
    },
  )
}
