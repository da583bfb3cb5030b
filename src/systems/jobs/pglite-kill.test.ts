/**
 * On the embedded default (PGlite), a job the API has reported `completed`
 * stays completed across a SIGKILL and never runs again: the worker commits
 * its completions asynchronously, and PGlite has no WAL writer to flush such
 * commits, so the adapter does (platform/db/pglite-durability.ts). A real
 * server process runs `http` jobs against a target here that counts every
 * delivery; it is killed mid-run and started again on the same DATA_DIR.
 */

import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'

const JOBS = 1_500

let target: Server
let targetPort = 0
const deliveries = new Map<number, number>()

beforeAll(async () => {
  target = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => {
      body += d
    })
    req.on('end', () => {
      const n = (JSON.parse(body) as { n: number }).n
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1)
      // A little work per job, so that the kill lands mid-run.
      setTimeout(() => res.writeHead(200).end('ok'), 10)
    })
  })
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
  targetPort = (target.address() as { port: number }).port
})
afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())))

type Listed = { jobs: { id: string; state: string; payload: { body: { n: number } } }[] }

const completedIds = async (url: string): Promise<string[]> => {
  const res = await fetch(`${url}/jobs/jobs?state=completed&limit=500`)
  return ((await res.json()) as Listed).jobs.map((j) => j.id)
}

describe('jobs on PGlite across SIGKILL', { timeout: 240_000 }, () => {
  it('no job the API reported completed goes back to waiting or runs twice', async () => {
    const env = {
      SYSTEMS: 'jobs',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bp-jobs-kill-')),
      JOBS_ALLOWED_TARGETS: `127.0.0.1:${targetPort}`,
      JOBS_CONCURRENCY: '4',
    }
    let server: ServerProcess = await startServer({ entry: 'src/main.ts', env, timeoutMs: 120_000 })
    const ids: Record<string, number> = {}
    for (let from = 0; from < JOBS; from += 500) {
      const jobs = Array.from({ length: 500 }, (_, i) => ({
        task: 'http',
        payload: { url: `http://127.0.0.1:${targetPort}/hook`, body: { n: from + i } },
        maxAttempts: 25,
      }))
      const res = await fetch(`${server.url}/jobs/queues/default/jobs/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jobs }),
      })
      expect(res.status).toBe(201)
      const added = (await res.json()) as { jobs: { id: string }[] }
      added.jobs.forEach((j, i) => {
        ids[j.id] = from + i
      })
    }
    let acknowledged: string[] = []
    await waitFor(
      'the API to report 150 jobs completed',
      async () => {
        acknowledged = await completedIds(server.url)
        return acknowledged.length >= 150
      },
      120_000,
    )
    server.kill('SIGKILL')
    await server.exited
    expect(acknowledged.length).toBeLessThan(JOBS) // the kill landed mid-run

    server = await startServer({ entry: 'src/main.ts', env, timeoutMs: 120_000 })
    try {
      for (const id of acknowledged) {
        const job = (await (await fetch(`${server.url}/jobs/jobs/${id}`)).json()) as { state: string }
        expect({ id, state: job.state }).toEqual({ id, state: 'completed' })
      }
      await waitFor(
        'every job to be delivered',
        () => [...Array(JOBS).keys()].every((n) => deliveries.has(n)),
        180_000,
      )
      const twice = acknowledged.filter((id) => deliveries.get(ids[id]!) !== 1)
      expect(twice).toEqual([])
    } finally {
      server.kill('SIGTERM')
      await server.exited
    }
  })
})
