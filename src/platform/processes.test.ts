/**
 * Several real processes on shared services (TEST_SERVICES=1 only: PGlite is
 * one process's database, so there is nothing to share on the embedded
 * adapters). Processes started at the same moment migrate once; readiness
 * names a dependency that goes away and recovers when it returns.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { testServicesEnabled, testServiceUrls } from './config.js'
import { openPg } from './db/pg.js'
import { createRedis } from './redis/client.js'
import { backendEnv, uniqueId } from './testing/backends.js'
import { startServer } from './testing/process.js'
import { waitFor } from './testing/wait.js'

/** The outbox's own migrations (platform/bus/sql), which every system with an outbox runs in its schema. */
const outboxMigrations = readdirSync(new URL('./bus/sql/', import.meta.url)).filter((f) => f.endsWith('.sql'))

// biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
const getJson = async (url: string): Promise<any> => (await fetch(url)).json()

describe.runIf(testServicesEnabled())(
  'processes sharing PostgreSQL, Redis and NATS',
  { timeout: 180_000 },
  () => {
    it('three processes started at the same moment all become ready; migrations ran once', async () => {
      const id = uniqueId()
      const env = backendEnv('services', id)
      const servers = await Promise.all([1, 2, 3].map(() => startServer({ env })))
      try {
        for (const s of servers) {
          const ready = await getJson(`${s.url}/readyz`)
          expect(ready.checks).toEqual({
            database: { status: 'ok' },
            bus: { status: 'ok' },
            redis: { status: 'ok' },
          })
        }
        const db = await openPg(testServiceUrls().databaseUrl, `t${id}_fixture`)
        try {
          const { rows } = await db.query<{ name: string }>(
            'SELECT name FROM schema_migrations ORDER BY name',
          )
          // Each file once: three concurrent boots, one migration run.
          expect(rows.map((r) => r.name)).toEqual([...outboxMigrations, '0001_things.sql'].sort())
        } finally {
          await db.close()
        }
        // Writes through any process land in the one shared schema.
        for (const s of servers) {
          const res = await fetch(`${s.url}/fixture/things`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'n', count: 1 }),
          })
          expect(res.status).toBe(201)
        }
        const ids = new Set<string>()
        for (const s of servers) {
          const res = await fetch(`${s.url}/fixture/things`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'm', count: 2 }),
          })
          ids.add(((await res.json()) as { id: string }).id)
        }
        expect(ids.size).toBe(3)
      } finally {
        for (const s of servers) s.kill('SIGTERM')
        expect(await Promise.all(servers.map((s) => s.exited))).toEqual([0, 0, 0])
      }
    })

    it('readiness names Redis while it is down and recovers when it returns', async () => {
      const port = 20000 + Math.floor(Math.random() * 20000)
      const startRedis = (): ChildProcess =>
        spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          {
            stdio: 'ignore',
          },
        )
      let redis = startRedis()
      const accepts = () =>
        createRedis(`redis://127.0.0.1:${port}`).then(
          async (r) => {
            await r.quit()
            return true
          },
          () => false,
        )
      await waitFor('the test redis-server to accept connections', accepts, 10_000)
      const server = await startServer({
        env: { ...backendEnv('services'), REDIS_URL: `redis://127.0.0.1:${port}` },
      })
      try {
        redis.kill('SIGKILL')
        await waitFor(
          'readiness to report Redis down',
          async () => (await fetch(`${server.url}/readyz`)).status === 503,
          10_000,
        )
        const body = await getJson(`${server.url}/readyz`)
        expect(body.dependencies).toEqual(['redis'])
        expect(body.checks.database).toEqual({ status: 'ok' })
        // Liveness is not affected by a dependency outage.
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
        redis = startRedis()
        await waitFor(
          'readiness to recover',
          async () => (await fetch(`${server.url}/readyz`)).status === 200,
          15_000,
        )
      } finally {
        server.kill('SIGTERM')
        await server.exited
        redis.kill('SIGKILL')
      }
    })
  },
)
