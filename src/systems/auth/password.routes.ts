/**
 * The "forgot my password" and "choose a new password" pages (`/auth/password/...`). Plain HTML
 * forms; CSRF by double submit: the GET sets a random nonce in a SameSite=Strict cookie scoped to
 * these pages, and the form carries an HMAC of it that the POST checks.
 */
import { parse as parseQuery } from 'node:querystring'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import { doubleSubmit } from './csrf-cookie.js'
import type { PasswordResets } from './password-reset.js'
import { errorPage, escapeHtml, layout, pageHeaders } from './views.js'

export interface PasswordRouteDeps {
  resets: PasswordResets
  csrfKey: string
  prefix: string
  ttlS: number
}

const COOKIE = 'auth_pw_csrf'
const FORM_LIMIT = 16 * 1024
const ForgotBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  email: Type.String({ maxLength: 320 }),
})
const ResetBody = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  token: Type.String({ maxLength: 200 }),
  password: Type.String({ maxLength: 1000 }),
})
const ResetQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })

export function passwordRoutes(app: TypedApp, d: PasswordRouteDeps): void {
  const path = `${d.prefix}/password`
  const { issue, valid } = doubleSubmit({ key: d.csrfKey, cookie: COOKIE, path, label: 'pw' })
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(pageHeaders()).send(html)
  const refused = (reply: FastifyReply) =>
    page(
      reply,
      403,
      errorPage('Request refused', {
        detail: 'The form was not sent from this page. Go back and try again.',
      }),
    )

  const forgotForm = (csrf: string, note = '') =>
    layout(
      'Reset your password',
      `<h1>Reset your password</h1>${note}<p>We will send a link to choose a new password.</p>
<form method="post" action="${escapeHtml(`${path}/forgot`)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" autofocus>
<button type="submit">Send the link</button>
</form>`,
    )
  const resetForm = (csrf: string, token: string, error?: string) =>
    layout(
      'Choose a new password',
      `<h1>Choose a new password</h1>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(`${path}/reset`)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="password">New password (at least 8 characters)</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="1000" autofocus>
<button type="submit">Set the password</button>
</form>`,
    )
  const expired = (reply: FastifyReply) =>
    page(
      reply,
      400,
      errorPage('Link expired', { detail: 'This link has expired or was used. Ask for a new one.' }),
    )

  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500
      if (status === 500) reply.log.error({ err }, 'password page failed')
      return page(
        reply,
        status,
        errorPage('Request failed', { detail: status === 500 ? 'Something went wrong.' : err.message }),
      )
    })

    scope.get('/password/forgot', { schema: { hide: true } }, async (_req, reply) =>
      page(reply, 200, forgotForm(issue(reply))),
    )
    scope.post('/password/forgot', { schema: { body: ForgotBody, hide: true } }, async (req, reply) => {
      if (!valid(req, req.body.csrf)) return refused(reply)
      await d.resets.request(req.body.email, req.ip)
      // The same answer whether or not the email has an account.
      const minutes = Math.round(d.ttlS / 60)
      return page(
        reply,
        200,
        layout(
          'Check your mail',
          `<h1>Check your mail</h1><p>If an account exists for that email, a link to choose a new password is on its way. It works for ${minutes} minutes, once.</p>`,
        ),
      )
    })
    scope.get('/password/reset', { schema: { querystring: ResetQuery, hide: true } }, async (req, reply) => {
      const token = req.query.token ?? ''
      if (!token || !(await d.resets.isValid(token))) return expired(reply)
      return page(reply, 200, resetForm(issue(reply), token))
    })
    scope.post('/password/reset', { schema: { body: ResetBody, hide: true } }, async (req, reply) => {
      if (!valid(req, req.body.csrf)) return refused(reply)
      const result = await d.resets.complete(req.body.token, req.body.password, req.ip)
      if (!result.ok && result.reason === 'invalid') return expired(reply)
      if (!result.ok) return page(reply, 400, resetForm(issue(reply), req.body.token, result.detail))
      return page(
        reply,
        200,
        layout(
          'Password changed',
          '<h1>Password changed</h1><p>You are signed out everywhere. Sign in again from the application.</p>',
        ),
      )
    })
  })
}
