/**
 * The JSON body parser. Fastify's default decodes invalid UTF-8 into U+FFFD
 * silently; we refuse it with a 400 instead, and keep prototype-poisoning
 * protection (`__proto__` / `constructor.prototype` keys are rejected).
 */
import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import sjson from 'secure-json-parse'
import { PlatformErrors } from '../errors.js'

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json'])
  const parse = (_req: unknown, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0)
      return done(PlatformErrors.invalidJson('Content-Type is JSON but the body is empty'))
    if (!isUtf8(body)) return done(PlatformErrors.invalidUtf8())
    try {
      done(
        null,
        sjson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' }),
      )
    } catch (err) {
      done(PlatformErrors.invalidJson(`The body is not valid JSON: ${(err as Error).message}`))
    }
  }
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) =>
    parse(req, body as Buffer, done),
  )
  app.addContentTypeParser(/^application\/[a-z0-9.+-]*\+json$/, { parseAs: 'buffer' }, (req, body, done) =>
    parse(req, body as Buffer, done),
  )
}
