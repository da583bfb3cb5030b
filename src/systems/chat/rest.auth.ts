/** What every chat REST route shares: its dependencies, the bearer-token hook, the user, the write limit. */
import type { FastifyRequest } from 'fastify'
import type { Presence } from '../../platform/live/index.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import { ChatError } from './errors.js'
import type { ChatService } from './service.js'
import { type TokenClaims, type Tokens, tokenOf } from './tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The chat user a bearer token named (chat routes only). */
    chatUser?: string
    /** The verified token's claims (expiry, id): what a session opened by this request runs on. */
    chatClaims?: TokenClaims
  }
}

export interface RestDeps {
  service: ChatService
  tokens: Tokens
  presence: Presence
  limiter: RateLimiter
  devTokens: boolean
}

/** The user of an authenticated request (the auth hook has run). */
export function userOf(request: FastifyRequest): string {
  return request.chatUser!
}

/** Resolve the bearer token of every API route; anonymous routes are registered outside. */
export function authHook(tokens: Tokens, seen: (user: string) => Promise<void>) {
  return async function chatAuth(request: FastifyRequest): Promise<void> {
    const claims = await tokens.claims(tokenOf(request.headers.authorization, request.query))
    await seen(claims.user)
    request.chatUser = claims.user
    request.chatClaims = claims
  }
}

/** Per-user write limit over REST: the same bucket size as one connection. */
export function writeLimit(limiter: RateLimiter) {
  return async function chatWriteLimit(request: FastifyRequest): Promise<void> {
    const r = await limiter.consume(`rest:${request.chatUser}`)
    if (!r.allowed) throw ChatError.rateLimited(r.retryAfterMs)
  }
}
