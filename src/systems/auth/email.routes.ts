/**
 * The page a verification link opens (`/auth/email/verify`). The GET only shows a button: mail
 * scanners and link previews fetch links, and must not use one up; the POST, which carries the
 * token (the only secret, so no other CSRF token is needed), verifies.
 */
import { parse as parseQuery } from 'node:querystring'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import type { EmailVerifications } from './email-verification.js'
import { errorPage, escapeHtml, layout, pageHeaders } from './views.js'

const Token = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })

/** GET and POST /auth/email/verify. */
export function emailRoutes(app: TypedApp, d: { verifications: EmailVerifications; prefix: string }): void {
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(pageHeaders()).send(html)
  const expired = (reply: FastifyReply) =>
    page(reply, 400, errorPage('Link expired', { detail: 'This link has expired or was used.' }))

  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    scope.get('/email/verify', { schema: { querystring: Token, hide: true } }, async (req, reply) => {
      const token = req.query.token ?? ''
      if (!token || !(await d.verifications.isValid(token))) return expired(reply)
      return page(
        reply,
        200,
        layout(
          'Confirm your email',
          `<h1>Confirm your email</h1><form method="post" action="${escapeHtml(`${d.prefix}/email/verify`)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Confirm</button>
</form>`,
        ),
      )
    })
    scope.post('/email/verify', { schema: { body: Token, hide: true } }, async (req, reply) => {
      const token = req.body.token ?? ''
      if (!token || !(await d.verifications.complete(token, req.ip))) return expired(reply)
      return page(reply, 200, layout('Email confirmed', '<h1>Email confirmed</h1><p>Thank you.</p>'))
    })
  })
}
