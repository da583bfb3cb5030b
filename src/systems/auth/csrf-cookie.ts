/**
 * CSRF protection by double submit for pages outside an interaction (password reset, sign-up):
 * the GET sets a random nonce in an HttpOnly, SameSite=Strict cookie scoped to the pages' path,
 * and the form carries an HMAC of it (with an installation secret) that the POST checks. A
 * cross-site form has neither the cookie nor a way to compute the HMAC.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface DoubleSubmit {
  /** Set a fresh nonce cookie on `reply`; the form token made from it. */
  issue(reply: FastifyReply): string
  /** Whether `presented` is the token of this request's cookie. */
  valid(req: FastifyRequest, presented: string): boolean
}

export function doubleSubmit(o: { key: string; cookie: string; path: string; label: string }): DoubleSubmit {
  const mac = (nonce: string) => createHmac('sha256', o.key).update(`${o.label}:${nonce}`).digest('base64url')
  const cookieOf = (req: FastifyRequest) => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v] = part.trim().split('=')
      if (k === o.cookie && v) return v
    }
    return undefined
  }
  return {
    issue(reply) {
      const nonce = randomBytes(16).toString('base64url')
      reply.header('set-cookie', `${o.cookie}=${nonce}; Path=${o.path}; HttpOnly; SameSite=Strict`)
      return mac(nonce)
    },
    valid(req, presented) {
      const nonce = cookieOf(req)
      if (!nonce) return false
      const a = Buffer.from(mac(nonce))
      const b = Buffer.from(presented)
      return a.length === b.length && timingSafeEqual(a, b)
    },
  }
}
