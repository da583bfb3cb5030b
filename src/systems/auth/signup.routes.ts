/**
 * The sign-up page (`/auth/signup`), linked from the login page when AUTH_SIGNUP_ENABLED. A plain
 * form (email, password) with a double-submit CSRF token; the answer is "check your mail" whether
 * or not the email had an account (signup.ts).
 */
import { parse as parseQuery } from 'node:querystring'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import { doubleSubmit } from './csrf-cookie.js'
import type { SignUps } from './signup.js'
import { errorPage, escapeHtml, layout, pageHeaders } from './views.js'

const Body = Type.Object({
  csrf: Type.String({ maxLength: 200 }),
  email: Type.String({ maxLength: 320 }),
  password: Type.String({ maxLength: 1000 }),
})

export function signUpRoutes(app: TypedApp, d: { signUps: SignUps; csrfKey: string; prefix: string }): void {
  const path = `${d.prefix}/signup`
  const csrf = doubleSubmit({ key: d.csrfKey, cookie: 'auth_signup_csrf', path, label: 'signup' })
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(pageHeaders()).send(html)
  const form = (token: string, v: { email?: string; error?: string } = {}) =>
    layout(
      'Create an account',
      `<h1>Create an account</h1>${v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : ''}
<form method="post" action="${escapeHtml(path)}">
<input type="hidden" name="csrf" value="${escapeHtml(token)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(v.email ?? '')}"${v.email ? '' : ' autofocus'}>
<label for="password">Password (at least 8 characters, not a common one)</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="1000"${v.email ? ' autofocus' : ''}>
<button type="submit">Create the account</button>
</form>`,
    )

  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    scope.get('/signup', { schema: { hide: true } }, async (_req, reply) =>
      page(reply, 200, form(csrf.issue(reply))),
    )
    scope.post('/signup', { schema: { body: Body, hide: true } }, async (req, reply) => {
      if (!csrf.valid(req, req.body.csrf))
        return page(
          reply,
          403,
          errorPage('Request refused', {
            detail: 'The form was not sent from this page. Go back and try again.',
          }),
        )
      const r = await d.signUps.signUp(req.body.email, req.body.password, req.ip)
      if (!r.ok && 'problem' in r)
        return page(reply, 400, form(csrf.issue(reply), { email: req.body.email, error: r.problem }))
      if (!r.ok) {
        const seconds = Math.ceil(r.retryAfterMs / 1000)
        reply.header('retry-after', String(seconds))
        return page(
          reply,
          429,
          form(csrf.issue(reply), { error: `Too many sign-ups from here. Try again in ${seconds} s.` }),
        )
      }
      return page(
        reply,
        200,
        layout(
          'Check your mail',
          '<h1>Check your mail</h1><p>We sent a link to confirm your email address. Open it, then sign in from the application.</p>',
        ),
      )
    })
  })
}
