/**
 * oidc-provider (a Koa application) mounted under Fastify at the system's
 * prefix. Every path under `/auth` that no route of ours claims goes to the
 * provider: Fastify leaves the body unread (the provider parses its own,
 * with its own limits), hands over the raw request and response, and
 * steps aside (`reply.hijack()`). The request is rewritten the way a mount
 * does it (path without the prefix, `originalUrl` kept), and its Host and
 * X-Forwarded-* headers are set from the issuer, so that endpoint URLs in
 * discovery come from PUBLIC_URL, never from what a client put in Host.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import type { OidcProvider } from './provider.js'

export interface MountOptions {
  holder: OidcProvider
  /** The issuer (`${PUBLIC_URL}/auth`). */
  issuer: () => string
  /** The mount path, `/auth`. */
  prefix: string
}

declare module 'node:http' {
  interface IncomingMessage {
    originalUrl?: string
  }
}

const FORM =
  'The body is `application/x-www-form-urlencoded`; the client authenticates with HTTP Basic (client_secret_basic), ' +
  'client_secret_post, or a private_key_jwt `client_assertion`. Errors are OAuth error JSON (RFC 6749 section 5.2).'

const DOCUMENTED: {
  method: 'GET' | 'POST'
  url: string
  summary: string
  description: string
  query?: string[]
}[] = [
  {
    method: 'GET',
    url: '/.well-known/openid-configuration',
    summary: 'OpenID Provider metadata (discovery)',
    description: 'The issuer, its endpoints and what it supports (OpenID Connect Discovery 1.0).',
  },
  {
    method: 'GET',
    url: '/.well-known/oauth-authorization-server',
    summary: 'OAuth authorization server metadata (RFC 8414)',
    description: 'The same metadata for OAuth clients.',
  },
  {
    method: 'GET',
    url: '/jwks',
    summary: 'Signing keys (JWKS)',
    description:
      'Public keys that verify ID tokens and JWT access tokens: the signing key, the next key, and retired keys until their tokens expired.',
  },
  {
    method: 'GET',
    url: '/authorize',
    summary: 'Authorization endpoint (code flow with PKCE)',
    description:
      'Starts a sign-in: redirects the browser to the login and consent pages, then to the redirect_uri with a code. The redirect_uri must match a registered one exactly; public clients must send an S256 code_challenge.',
    query: [
      'client_id',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'prompt',
      'resource',
    ],
  },
  {
    method: 'POST',
    url: '/token',
    summary: 'Token endpoint',
    description: `grant_type authorization_code (code, redirect_uri, code_verifier), refresh_token (rotated at each use; a reused one revokes the grant) or client_credentials (scope, resource; a JWT access token per RFC 9068). ${FORM}`,
  },
  {
    method: 'POST',
    url: '/introspect',
    summary: 'Token introspection (RFC 7662)',
    description: `token, token_type_hint. Answers {active: false} for any token that is not valid now. ${FORM}`,
  },
  {
    method: 'POST',
    url: '/revoke',
    summary: 'Token revocation (RFC 7009)',
    description: `token, token_type_hint. Answers 200 also for tokens it does not know. Revoking a refresh token revokes its grant. ${FORM}`,
  },
  {
    method: 'GET',
    url: '/logout',
    summary: 'RP-initiated logout',
    description:
      'Asks the user to confirm signing out, then redirects to a registered post_logout_redirect_uri.',
    query: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales'],
  },
]

/** Register the catch-all routes that hand requests to the provider. */
export async function mountProvider(app: TypedApp, o: MountOptions): Promise<void> {
  await app.register(async (scope) => {
    // The provider reads the body itself: no parser here may consume the stream.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined))

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const issuer = o.issuer()
      const { callback } = o.holder.get(issuer)
      const url = new URL(issuer)
      const raw = request.raw
      const original = raw.url ?? '/'
      raw.originalUrl = original
      raw.url = original.slice(o.prefix.length) || '/'
      if (!raw.url.startsWith('/')) raw.url = `/${raw.url}`
      raw.headers.host = url.host
      raw.headers['x-forwarded-host'] = url.host
      raw.headers['x-forwarded-proto'] = url.protocol.slice(0, -1)
      // The client address as the platform trusts it (the provider, told to trust proxies, reads this).
      raw.headers['x-forwarded-for'] = request.ip
      reply.hijack()
      await new Promise<void>((resolve) => {
        reply.raw.once('close', resolve)
        callback(raw, reply.raw)
      })
    }
    // The endpoints clients use, documented in OpenAPI (the provider parses and answers them).
    for (const e of DOCUMENTED)
      scope.route({
        method: e.method,
        url: e.url,
        schema: {
          summary: e.summary,
          description: e.description,
          ...(e.query && {
            querystring: {
              type: 'object',
              properties: Object.fromEntries(e.query.map((q) => [q, { type: 'string' }])),
            },
          }),
        },
        handler,
      })
    // Everything else under the prefix (UserInfo, which takes a user's bearer token, device flow pages, resumes, CORS preflights, unknown paths).
    scope.route({
      method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'],
      url: '/*',
      schema: { hide: true },
      handler,
    })
  })
}
