/**
 * The page an invitation link opens (`/auth/invitations/accept`). As for email verification, the
 * GET only shows a button (mail scanners fetch links and must not use them up), and the POST,
 * which carries the token (its only secret), accepts. With no account for the invited email, the
 * page asks for a password and the account is made on acceptance.
 */
import { parse as parseQuery } from 'node:querystring'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { InvitationPreview, Invitations } from './invitations.js'
import { errorPage, escapeHtml, layout, pageHeaders } from './views.js'

const Query = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })
const Body = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 200 })),
  password: Type.Optional(Type.String({ maxLength: 1000 })),
})

function acceptPage(action: string, token: string, p: InvitationPreview, error?: string): string {
  const password = p.hasAccount
    ? ''
    : `<p>There is no account for ${escapeHtml(p.email)} yet: choose a password to make one.</p>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="1000">`
  return layout(
    'Join an organisation',
    `<h1>Join ${escapeHtml(p.orgName)}</h1><p>as <strong>${escapeHtml(p.email)}</strong></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
${password}
<button type="submit">Accept the invitation</button>
</form>`,
  )
}

/** GET and POST /auth/invitations/accept. */
export function invitationRoutes(app: TypedApp, d: { invitations: Invitations; prefix: string }): void {
  const action = `${d.prefix}/invitations/accept`
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(pageHeaders()).send(html)
  const expired = (reply: FastifyReply) =>
    page(
      reply,
      400,
      errorPage('Invitation expired', { detail: 'This invitation has expired, was revoked or was used.' }),
    )

  app.register(async (plain) => {
    const scope = plain as unknown as TypedApp
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, parseQuery(body as string)),
    )
    scope.get('/invitations/accept', { schema: { querystring: Query, hide: true } }, async (req, reply) => {
      const token = req.query.token ?? ''
      const preview = token ? await d.invitations.preview(token) : undefined
      if (!preview) return expired(reply)
      return page(reply, 200, acceptPage(action, token, preview))
    })
    scope.post('/invitations/accept', { schema: { body: Body, hide: true } }, async (req, reply) => {
      const token = req.body.token ?? ''
      if (!token) return expired(reply)
      try {
        const r = await d.invitations.accept(token, req.ip, req.body.password || undefined)
        if (r.ok)
          return page(
            reply,
            200,
            layout(
              'Invitation accepted',
              `<h1>Invitation accepted</h1><p>You are a member now${r.created ? ', and your account is ready' : ''}. Sign in from the application to continue.</p>`,
            ),
          )
        if (r.reason === 'invalid') return expired(reply)
        const preview = await d.invitations.preview(token)
        if (!preview) return expired(reply)
        return page(reply, 400, acceptPage(action, token, preview, 'Choose a password.'))
      } catch (err) {
        // The password policy's answer, on the page (not as JSON: a person reads it).
        if (!(err instanceof AppError) || err.code !== 'AUTH_INVALID_USER') throw err
        const preview = await d.invitations.preview(token)
        if (!preview) return expired(reply)
        // err.message: "password <reason>" (invalidParams' detail).
        return page(reply, 400, acceptPage(action, token, preview, `The ${err.message}.`))
      }
    })
  })
}
