/**
 * The account page (`/auth/account`): a signed-in person turns the authenticator app on or off,
 * adds and removes passkeys, makes new recovery codes, lists the browsers signed in to the
 * account and signs one or all of them out.
 *
 * Who is signed in is oidc-provider's own browser session (its signed session cookie), read with
 * the provider's `Session`; without one, the page signs in through the provider like any
 * application, as the static client `auth-account-page` (public, PKCE, granted `openid` without a
 * consent page). Its callback only checks `state` and returns to the page: the page needs the
 * session the sign-in made, not the tokens, and the unredeemed code expires by itself.
 *
 * Changing second factors needs a session that signed in with one when the account has one (a
 * password alone, or a stolen session cookie of a password-only sign-in, cannot remove them): the
 * page links to a sign-in with `acr_values=mfa`. Each form carries a CSRF token bound to the
 * session.
 */
import { randomBytes } from 'node:crypto'
import { parse as parseQuery } from 'node:querystring'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import { accountPage, accountSignInPage } from './account.views.js'
import { csrfToken, csrfValid, type InteractionDeps, sendPage } from './interaction.common.js'
import { CREDENTIAL_ID, parseResponse } from './passkeys.js'
import { ACCOUNT_CALLBACK, ACCOUNT_CLIENT_ID, ACR_MFA } from './provider.config.js'
import type { Sessions } from './sessions.js'
import { otpauthUri } from './totp.js'
import { errorPage } from './views.js'
import { passkeyForm } from './webauthn.views.js'

export interface AccountDeps extends InteractionDeps {
  sessions: Sessions
}

const STATE_COOKIE = 'auth_account_state'
const Csrf = Type.Object({ csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: true })
const FORM_LIMIT = 32 * 1024

type Req = FastifyRequest
interface Signed {
  sessionUid: string
  acr: string | undefined
  user: NonNullable<Awaited<ReturnType<InteractionDeps['accounts']['byId']>>>
}

export function accountRoutes(app: TypedApp, d: AccountDeps): void {
  const base = `${d.prefix}/account`
  const csrfOf = (s: Signed) => csrfToken(d.csrfKey, `account:${s.sessionUid}`)

  /** The signed-in account of this browser (oidc-provider's session cookie), if any. */
  async function signedIn(req: Req, reply: FastifyReply): Promise<Signed | undefined> {
    const { provider } = d.holder.get(d.issuer())
    const session = (await provider.Session.get(provider.createContext(req.raw, reply.raw) as never)) as {
      uid: string
      accountId?: string
      acr?: string
    }
    if (!session.accountId) return undefined
    const user = await d.accounts.byId(session.accountId)
    if (!user || user.disabled) return undefined
    return { sessionUid: session.uid, acr: session.acr, user }
  }

  /** Second factors may change: the account has none yet, or this session signed in with one. */
  const mayChangeFactors = (s: Signed) => !s.user.mfaEnrolledAt || s.acr === ACR_MFA

  async function render(
    reply: FastifyReply,
    s: Signed,
    extra: { status?: number; notice?: string; error?: string; codes?: string[] } = {},
  ) {
    const user = (await d.accounts.byId(s.user.id)) ?? s.user
    const fresh = { ...s, user }
    const writable = mayChangeFactors(fresh)
    const hasTotp = await d.mfa.hasTotp(user.id)
    const secret = !hasTotp && writable ? await d.mfa.enrolmentSecret(user.id) : undefined
    const csrf = csrfOf(s)
    const html = accountPage({
      base,
      csrf,
      email: user.email,
      stepUpUrl: writable ? undefined : `${base}/login?mfa=1`,
      totp: secret
        ? { on: false, secret, otpauthUri: otpauthUri(secret, new URL(d.issuer()).host, user.email) }
        : hasTotp
          ? { on: true }
          : { on: false, secret: '', otpauthUri: '' },
      passkeys: await d.passkeys.list(user.id),
      addPasskey: writable
        ? passkeyForm({
            action: `${base}/passkeys`,
            csrf,
            options: await d.passkeys.registrationOptions(`register:${s.sessionUid}`, user),
            mode: 'create',
            label: 'Add a passkey',
            extra: `<label for="passkey-name">Name of the new passkey</label>
<input id="passkey-name" name="name" type="text" maxlength="60" value="Passkey">`,
          })
        : undefined,
      recoveryLeft: await d.mfa.recoveryCodesLeft(user.id),
      sessions: await d.sessions.list(user.id),
      currentSession: s.sessionUid,
      ...extra,
    })
    return sendPage(reply, extra.status ?? 200, html)
  }

  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    scope.setErrorHandler((err: Error & { status?: number; statusCode?: number }, _req, reply) => {
      // Fastify's errors carry statusCode; the platform's AppError (e.g. U+0000 in a field) carries status.
      const code = err.statusCode ?? err.status
      const status = code && code < 500 ? code : 500
      if (status === 500) reply.log.error({ err }, 'account page failed')
      return sendPage(
        reply,
        status,
        errorPage('Account', { detail: status === 500 ? 'Something went wrong.' : err.message }),
      )
    })

    scope.get('/account', { schema: { hide: true } }, async (req, reply) => {
      const s = await signedIn(req, reply)
      if (!s) return sendPage(reply, 200, accountSignInPage(`${base}/login`))
      return render(reply, s)
    })

    // Sign in through the provider as the account page's client (acr_values=mfa with ?mfa=1).
    scope.get(
      '/account/login',
      {
        schema: {
          querystring: Type.Object({ mfa: Type.Optional(Type.String({ maxLength: 5 })) }),
          hide: true,
        },
      },
      async (req, reply) => {
        const state = randomBytes(16).toString('base64url')
        const challenge = randomBytes(32).toString('base64url')
        const url = new URL(`${d.issuer()}/authorize`)
        for (const [k, v] of Object.entries({
          client_id: ACCOUNT_CLIENT_ID,
          response_type: 'code',
          scope: 'openid',
          redirect_uri: `${d.issuer()}${ACCOUNT_CALLBACK}`,
          state,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          ...(req.query.mfa && { acr_values: ACR_MFA }),
        }))
          url.searchParams.set(k, v)
        const secure = d.issuer().startsWith('https:') ? '; Secure' : ''
        reply.header(
          'set-cookie',
          `${STATE_COOKIE}=${state}; Path=${base}; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
        )
        return reply.code(303).header('cache-control', 'no-store').redirect(url.href, 303)
      },
    )

    scope.get(
      '/account/callback',
      {
        schema: {
          querystring: Type.Object(
            { state: Type.Optional(Type.String({ maxLength: 200 })) },
            { additionalProperties: true },
          ),
          hide: true,
        },
      },
      async (req, reply) => {
        const cookie = /(?:^|;\s*)auth_account_state=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
        if (!cookie || cookie !== req.query.state)
          return sendPage(reply, 400, errorPage('Account', { detail: 'This sign-in was not started here.' }))
        reply.header('set-cookie', `${STATE_COOKIE}=; Path=${base}; HttpOnly; SameSite=Lax; Max-Age=0`)
        return reply.code(303).redirect(base, 303)
      },
    )

    /** A POST of the account page: the signed-in account, its CSRF token checked; else a page was sent. */
    const post = (
      path: string,
      handler: (s: Signed, body: Record<string, string>, req: Req, reply: FastifyReply) => Promise<unknown>,
      opts: { factors?: boolean } = {},
    ) =>
      scope.post(path, { schema: { body: Csrf, hide: true } }, async (req, reply) => {
        const s = await signedIn(req, reply)
        if (!s) return reply.code(303).redirect(base, 303)
        const body = req.body as Record<string, string>
        if (typeof body.csrf !== 'string' || !csrfValid(d.csrfKey, `account:${s.sessionUid}`, body.csrf))
          return sendPage(
            reply,
            403,
            errorPage('Refused', { detail: 'The form was not sent from this page.' }),
          )
        if (opts.factors && !mayChangeFactors(s))
          return render(reply, s, { status: 403, error: 'Sign in again with your second factor first.' })
        return handler(s, body, req, reply)
      })

    post(
      '/account/totp',
      async (s, body, req, reply) => {
        const r = await d.mfa.confirmEnrolment(
          `account:${s.sessionUid}`,
          s.user.id,
          String(body.code ?? ''),
          req.ip,
        )
        if (!r.ok)
          return render(reply, s, {
            status: r.retryAfterMs > 0 ? 429 : 400,
            error: r.retryAfterMs > 0 ? 'Too many attempts. Try again later.' : 'That code is not right.',
          })
        return render(reply, s, { notice: 'The authenticator app is on.', codes: r.recoveryCodes })
      },
      { factors: true },
    )

    post(
      '/account/totp/delete',
      async (s, _body, req, reply) => {
        await d.mfa.removeTotp(s.user.id, req.ip)
        return render(reply, s, { notice: 'The authenticator app is removed.' })
      },
      { factors: true },
    )

    post(
      '/account/passkeys',
      async (s, body, req, reply) => {
        const response = parseResponse<RegistrationResponseJSON>(String(body.response ?? ''))
        // Printable text only: a control character (U+0000 among them) never reaches the database.
        const name =
          [...String(body.name ?? '')]
            .filter((c) => c >= ' ' && c !== '\u007f')
            .join('')
            .trim()
            .slice(0, 60) || 'Passkey'
        const hadFactor = Boolean(s.user.mfaEnrolledAt)
        const id =
          response &&
          (await d.passkeys.register(`register:${s.sessionUid}`, s.user.id, response, name, req.ip))
        if (!id) return render(reply, s, { status: 400, error: 'The passkey could not be added. Try again.' })
        // The first second factor of the account comes with recovery codes, as an app's does.
        const codes =
          !hadFactor && (await d.mfa.recoveryCodesLeft(s.user.id)) === 0
            ? await d.mfa.renewRecoveryCodes(s.user.id, req.ip)
            : undefined
        return render(reply, s, { notice: `Passkey ${name} added.`, codes })
      },
      { factors: true },
    )

    post(
      '/account/passkeys/delete',
      async (s, body, req, reply) => {
        const id = String(body.id ?? '')
        const removed = CREDENTIAL_ID.test(id) && (await d.passkeys.remove(s.user.id, id, req.ip))
        return render(
          reply,
          s,
          removed ? { notice: 'Passkey removed.' } : { status: 404, error: 'No such passkey.' },
        )
      },
      { factors: true },
    )

    post(
      '/account/recovery-codes',
      async (s, _body, req, reply) => {
        if (!s.user.mfaEnrolledAt)
          return render(reply, s, { status: 400, error: 'Turn on a second factor first.' })
        return render(reply, s, { codes: await d.mfa.renewRecoveryCodes(s.user.id, req.ip) })
      },
      { factors: true },
    )

    post('/account/sessions/revoke', async (s, body, req, reply) => {
      const uid = String(body.uid ?? '')
      // Session uids are oidc-provider's nanoids: anything else is no session (and no database call).
      const n = /^[A-Za-z0-9_-]{1,100}$/.test(uid) ? await d.sessions.revoke(s.user.id, uid) : 0
      await d.audit.record({
        event: 'session.revoked',
        userId: s.user.id,
        ip: req.ip,
        detail: { uid, by: 'user' },
      })
      if (uid === s.sessionUid) return reply.code(303).redirect(base, 303)
      return render(
        reply,
        s,
        n ? { notice: 'That browser is signed out.' } : { status: 404, error: 'No such session.' },
      )
    })

    post('/account/sessions/revoke-all', async (s, _body, req, reply) => {
      const n = await d.sessions.revoke(s.user.id)
      await d.audit.record({
        event: 'session.revoked',
        userId: s.user.id,
        ip: req.ip,
        detail: { all: true, count: n, by: 'user' },
      })
      return reply.code(303).redirect(base, 303)
    })
  })
}
