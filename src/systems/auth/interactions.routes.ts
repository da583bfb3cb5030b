/**
 * The login and consent pages oidc-provider sends the browser to
 * (`/auth/interaction/:uid`). Plain HTML forms; each POST carries a CSRF
 * token bound to the interaction (an HMAC of its uid), on top of the
 * interaction cookie being SameSite=Lax and path-scoped. Finishing an
 * interaction hands the result to the provider and redirects (303) back to
 * the authorization endpoint, which continues the flow. An account with a
 * second factor is not handed back after its password: the interaction stays
 * at the login prompt and shows the second-factor pages (`mfa.routes.ts`)
 * until a code is accepted.
 */
import { parse as parseQuery } from 'node:querystring'
import { Type } from '@sinclair/typebox'
import type { InteractionResults } from 'oidc-provider'
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
import { mfaRoutes, mfaStepPage } from './mfa.routes.js'
import { errors } from './oidc-provider.js'
import { loginPasskeyForm } from './passkey.forms.js'
import { passkeyRoutes } from './passkey.routes.js'
import { ADMIN_SCOPE } from './paths.js'
import { ACR_MFA, ORG_PARAM } from './provider.config.js'
import { consentPage, errorPage, loginPage } from './views.js'

export type { InteractionDeps }

const FORM_LIMIT = 16 * 1024
const Params = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 200 }) })
const LoginBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  email: Type.String({ maxLength: 320 }),
  password: Type.String({ maxLength: 1000 }),
})
const ConsentBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
})

export function interactionRoutes(app: TypedApp, d: InteractionDeps): void {
  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    // An expired or foreign interaction, a bad form: an HTML page, not JSON, since a person reads it.
    scope.setErrorHandler(
      (err: Error & { status?: number; statusCode?: number; validation?: unknown }, _req, reply) => {
        if (err instanceof errors.SessionNotFound || err.name === 'SessionNotFound')
          return sendPage(
            reply,
            400,
            errorPage('Sign-in expired', {
              detail: 'This sign-in has expired or was finished. Start again from the application.',
            }),
          )
        // Fastify's errors carry statusCode; the platform's AppError (e.g. U+0000 in a field) carries status.
        const code = err.statusCode ?? err.status
        const status = code && code < 500 ? code : 500
        if (status === 500) reply.log.error({ err }, 'interaction failed')
        return sendPage(
          reply,
          status,
          errorPage('Sign-in failed', { detail: status === 500 ? 'Something went wrong.' : err.message }),
        )
      },
    )

    const load = (req: Parameters<typeof loadInteraction>[1], reply: Parameters<typeof loadInteraction>[2]) =>
      loadInteraction(d, req, reply)

    scope.get('/interaction/:uid', { schema: { params: Params, hide: true } }, async (req, reply) => {
      const { details, clientName } = await load(req, reply)
      const uid = details.uid
      const origins = originOf(details.params.redirect_uri)
      const base = `${d.prefix}/interaction/${encodeURIComponent(uid)}`
      // The password was right and the second factor is due: its page, until it is given.
      const pending = details.prompt.name === 'login' ? await d.mfa.pending(uid) : undefined
      if (pending) return mfaStepPage(d, reply, { uid, clientName, origins, pending })
      if (details.prompt.name === 'login')
        return sendPage(
          reply,
          200,
          loginPage({
            action: `${base}/login`,
            csrf: csrfToken(d.csrfKey, uid),
            clientName,
            forgotUrl: `${d.prefix}/password/forgot`,
            ...(d.signUp && { signUpUrl: `${d.prefix}/signup` }),
            passkey: await loginPasskeyForm(d, uid),
          }),
          origins,
        )
      const missing = details.prompt.details as {
        missingOIDCScope?: string[]
        missingResourceScopes?: Record<string, string[]>
      }
      const scopes = [
        ...(missing.missingOIDCScope ?? []),
        ...Object.values(missing.missingResourceScopes ?? {}).flat(),
      ]
      const orgId = details.params[ORG_PARAM]
      const organisation =
        typeof orgId === 'string'
          ? await d.orgs.get(orgId).then(
              (o) => o.name,
              () => orgId,
            )
          : undefined
      return sendPage(
        reply,
        200,
        consentPage({
          organisation,
          action: `${base}/consent`,
          abortAction: `${base}/consent`,
          csrf: csrfToken(d.csrfKey, uid),
          clientName,
          scopes: [...new Set(scopes)],
          audiences: Object.keys(missing.missingResourceScopes ?? {}),
        }),
        origins,
      )
    })

    scope.post(
      '/interaction/:uid/login',
      { schema: { params: Params, body: LoginBody, hide: true } },
      async (req, reply) => {
        const { details, clientName } = await load(req, reply)
        const origins = originOf(details.params.redirect_uri)
        if (!csrfValid(d.csrfKey, details.uid, req.body.csrf)) return csrfRefused(reply)
        if (details.prompt.name !== 'login') throw stepDone()
        const email = req.body.email.trim()
        const clientId = String(details.params.client_id)
        const mfaRequested = String(details.params.acr_values ?? '')
          .split(' ')
          .includes(ACR_MFA)
        const result = await d.accounts.login(email, req.body.password, req.ip, clientId, mfaRequested)
        if (!result.ok) {
          const locked = result.retryAfterMs > 0
          const seconds = Math.ceil(result.retryAfterMs / 1000)
          if (locked) reply.header('retry-after', String(seconds))
          const page = loginPage({
            action: `${d.prefix}/interaction/${encodeURIComponent(details.uid)}/login`,
            csrf: csrfToken(d.csrfKey, details.uid),
            clientName,
            email,
            forgotUrl: `${d.prefix}/password/forgot`,
            ...(d.signUp && { signUpUrl: `${d.prefix}/signup` }),
            error: locked
              ? `Too many attempts. Try again in ${seconds} s.`
              : 'The email or the password is wrong.',
            passkey: await loginPasskeyForm(d, details.uid),
          })
          return sendPage(reply, locked ? 429 : 401, page, origins)
        }
        if (result.secondFactor) {
          // Not finished: the interaction stays at its login prompt until the second factor.
          await d.mfa.begin(details.uid, result.user.id, result.secondFactor)
          return reply
            .code(303)
            .header('cache-control', 'no-store')
            .redirect(`${d.prefix}/interaction/${encodeURIComponent(details.uid)}`, 303)
        }
        return finishLogin(d, req, reply, {
          accountId: result.user.id,
          acr: 'pwd',
          amr: ['pwd'],
          remember: true,
        })
      },
    )

    scope.post(
      '/interaction/:uid/consent',
      { schema: { params: Params, body: ConsentBody, hide: true } },
      async (req, reply) => {
        const { provider, details } = await load(req, reply)
        if (!csrfValid(d.csrfKey, details.uid, req.body.csrf)) return csrfRefused(reply)
        if (details.prompt.name !== 'consent') throw stepDone()
        const clientId = String(details.params.client_id)
        const accountId = details.session?.accountId
        let result: InteractionResults
        const missing = details.prompt.details as {
          missingOIDCScope?: string[]
          missingOIDCClaims?: string[]
          missingResourceScopes?: Record<string, string[]>
        }
        // The admin scope is an account's right, not the user's to give away by consenting.
        const wantsAdmin = Object.values(missing.missingResourceScopes ?? {}).some((s) =>
          s.includes(ADMIN_SCOPE),
        )
        // The organisation asked for (`organization`): only a member's grant is given for it.
        const org =
          typeof details.params[ORG_PARAM] === 'string' ? String(details.params[ORG_PARAM]) : undefined
        if (req.body.decision === 'deny' || !accountId) {
          result = { error: 'access_denied', error_description: 'the user denied the request' }
        } else if (wantsAdmin && !(await d.accounts.byId(accountId))?.isAdmin) {
          result = { error: 'access_denied', error_description: 'the admin scope needs an admin account' }
        } else if (org && !(await d.orgs.membership(org, accountId))) {
          result = {
            error: 'access_denied',
            error_description: 'the account is not a member of the organisation',
          }
        } else {
          const grant = details.grantId
            ? await provider.Grant.find(details.grantId)
            : new provider.Grant({ accountId, clientId })
          if (!grant) throw new errors.SessionNotFound('grant not found')
          if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
          if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
          for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
            grant.addResourceScope(indicator, scopes.join(' '))
          const grantId = await grant.save()
          // Before the result goes back: the provider's consent check reads it (provider.config.ts).
          if (org) await d.orgs.setGrantOrg(grantId, org)
          result = { consent: details.grantId ? {} : { grantId } }
          await d.audit.record({
            event: 'consent.granted',
            userId: accountId,
            clientId,
            ip: req.ip,
            detail: { grantId, ...(org && { orgId: org }) },
          })
        }
        const to = await provider.interactionResult(req.raw, reply.raw, result, {
          mergeWithLastSubmission: true,
        })
        return reply.code(303).header('cache-control', 'no-store').redirect(to, 303)
      },
    )

    mfaRoutes(scope, d)
    passkeyRoutes(scope, d)
  })
}
