/**
 * A database that cannot serve now answers 503 DEPENDENCY_UNAVAILABLE with Retry-After, not a 500:
 * the errors are the real ones node-postgres and PostgreSQL raise (a saturated pool, a refused
 * connection, a statement timeout), thrown from a route behind the platform's error handler.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { testServicesEnabled, testServiceUrls } from '../config.js'
import { openPg } from '../db/pg.js'
import { dependencyFailure } from './dependency-failure.js'
import { errorHandler } from './error-handler.js'

/** What the platform answers when a route throws `err`. */
async function answerTo(
  err: unknown,
): Promise<{ status: number; retryAfter: unknown; body: Record<string, unknown> }> {
  const app: FastifyInstance = Fastify()
  app.setErrorHandler(errorHandler(1024))
  app.get('/', async () => {
    throw err
  })
  const res = await app.inject({ method: 'GET', url: '/' })
  await app.close()
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() }
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('dependency failures', () => {
  it('keeps a programming error a 500', async () => {
    const r = await answerTo(new TypeError("Cannot read properties of undefined (reading 'id')"))
    expect(r.status).toBe(500)
    expect(r.body.code).toBe('INTERNAL')
    expect(dependencyFailure(new Error('duplicate key value violates unique constraint'))).toBeUndefined()
    expect(dependencyFailure('timeout exceeded when trying to connect')).toBeUndefined()
  })

  // PGlite runs in this thread and never interrupts a statement, so the timeout needs a real server.
  it.runIf(testServicesEnabled())(
    'answers 503 for a statement past its timeout',
    async () => {
      const db = await openPg(testServiceUrls().databaseUrl, 'public', { max: 1 })
      try {
        const err = await caught(
          db.tx(async (tx) => {
            await tx.query("SET LOCAL statement_timeout = '50ms'")
            await tx.query('SELECT pg_sleep(2)')
          }),
        )
        const r = await answerTo(err)
        expect(r.status).toBe(503)
        expect(r.retryAfter).toBe('1')
        expect(r.body).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'database' })
      } finally {
        await db.close()
      }
    },
    60_000,
  )

  it.runIf(testServicesEnabled())(
    'answers 503 when every pooled connection stays busy past the acquire timeout',
    async () => {
      const db = await openPg(testServiceUrls().databaseUrl, 'public', { max: 1, acquireTimeoutMs: 200 })
      let release!: () => void
      const held = db.tx(() => new Promise<void>((r) => (release = r)))
      try {
        const err = await caught(db.query('SELECT 1'))
        const r = await answerTo(err)
        expect(r.status).toBe(503)
        expect(r.body.detail).toBe('database is unavailable: no connection free in time')
      } finally {
        release()
        await held
        await db.close()
      }
    },
    60_000,
  )

  it('answers 503 when the database refuses the connection', async () => {
    // Port 1 on loopback: nothing listens, the kernel refuses at once.
    const err = await caught(
      openPg('postgres://postgres@127.0.0.1:1/test', 'public', { acquireTimeoutMs: 5_000 }),
    )
    const r = await answerTo(err)
    expect(r.status).toBe(503)
    expect(r.body.detail).toBe('database is unavailable: connection failed (ECONNREFUSED)')
  }, 60_000)
})
