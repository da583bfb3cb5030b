/**
 * The JSON body parser. Fastify's default decodes invalid UTF-8 into U+FFFD
 * silently; we refuse it with a 400 instead, and keep prototype-poisoning
 * protection (`__proto__` / `constructor.prototype` keys are rejected).
 * An empty body is no body at all on a route that takes none (clients such
 * as Shlink's SDK send `Content-Type: application/json` on every DELETE);
 * on a route that takes one it stays a 400.
 */
import { isUtf8 } from 'node:buffer'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import sjson from 'secure-json-parse'
import { PlatformErrors } from '../errors.js'

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json'])
  const parse = (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0)
      return takesBody(req)
        ? done(PlatformErrors.invalidJson('Content-Type is JSON but the body is empty'))
        : done(null, undefined)
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

/** Whether the route declares a body (a schema for it): only then is an empty JSON body an error. */
function takesBody(req: FastifyRequest): boolean {
  return req.routeOptions.schema?.body !== undefined
}
