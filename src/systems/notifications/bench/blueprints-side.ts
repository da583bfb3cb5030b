/**
 * The system side of the notifications benchmark: a Blueprints process (`SYSTEMS=notifications`)
 * on PostgreSQL, in a database of its own created for the run and dropped after it. A trigger is
 * what a user sends: `POST /notifications/v1/events/trigger` with an Idempotency-Key, to one of
 * `SUBSCRIBERS` subscribers in turn, of a workflow with an in-app step and a webhook step. The
 * in-app delivery is seen where a browser sees it: the subscriber's live inbox stream on
 * `/live/ws` (protocol v2, one socket per subscriber, its own token); the webhook at the bench's
 * receiver.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import WebSocket from 'ws'
import { startBlueprints } from '../../../../bench/harness/servers.js'
import type { StartedServer } from '../../../../bench/types.js'
import { testServiceUrls } from '../../../platform/config.js'
import { startReceiver } from './receiver.js'
import { Tracker, trackers } from './tracker.js'

/**
 * Subscribers the triggers go to in turn. Webhook deliveries are grouped per subscriber (one at a
 * time each, so a slow receiver holds only its own), so fewer subscribers would cap the webhook rate.
 */
export const SUBSCRIBERS = 100
const WORKFLOW = 'bench'

/** The admin connection URL, and the same server's URL for database `name`. */
function dbUrls(name: string): { admin: string; own: string } {
  const admin = testServiceUrls().databaseUrl
  const u = new URL(admin)
  u.pathname = `/${name}`
  return { admin, own: u.toString() }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

async function call(base: string, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

/** Start the system with its receiver and tracker; stopping it drops its database. */
export async function startSystem(): Promise<StartedServer> {
  const tracker = new Tracker()
  const receiver = await startReceiver(tracker)
  const dbName = `notifybench_${randomBytes(4).toString('hex')}`
  const { admin, own } = dbUrls(dbName)
  await adminQuery(admin, `CREATE DATABASE "${dbName}"`)
  const child = await startBlueprints({
    name: 'blueprints notifications',
    env: {
      SYSTEMS: 'notifications',
      DATABASE_URL: own,
      NOTIFICATIONS_ALLOWED_TARGETS: `127.0.0.1:${receiver.port}`,
      // The per-subscriber limit (60/min by default) would defer webhooks; the bench measures delivery: 1,000,000/min, the most it takes.
      NOTIFICATIONS_RATE_LIMIT: '1000000',
    },
  }).catch(async (e: unknown) => {
    await adminQuery(admin, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)
    throw e
  })
  const sockets: WebSocket[] = []
  const runId = randomBytes(3).toString('hex')
  const server: StartedServer = {
    url: child.url,
    pid: child.pid,
    stop: async () => {
      for (const s of sockets) s.terminate()
      await child.stop()
      await receiver.close()
      await adminQuery(admin, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)
    },
  }
  let prepared: Promise<void> | undefined
  const trigger = async (seq: number) => {
    const res = await fetch(`${child.url}/notifications/v1/events/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${runId}-${seq}` },
      body: JSON.stringify({ name: WORKFLOW, to: `s${seq % SUBSCRIBERS}`, payload: { seq: String(seq) } }),
    })
    await res.arrayBuffer()
    if (res.status !== 201) throw new Error(`trigger: ${res.status}`)
  }
  trackers.set(server, { tracker, trigger })
  prepares.set(server, () => {
    prepared ??= seed(child.url, receiver.url, tracker, sockets)
    return prepared
  })
  return server
}

/** The seeding of each started system (once, whichever scenario comes first). */
export const prepares = new WeakMap<StartedServer, () => Promise<void>>()

/** Subscribers, the workflow, and a live socket per subscriber subscribed to its inbox. */
async function seed(base: string, hookUrl: string, tracker: Tracker, sockets: WebSocket[]): Promise<void> {
  await call(base, 'PUT', `/notifications/v1/workflows/${WORKFLOW}`, {
    steps: [
      { channel: 'in_app', body: '{{payload.seq}}' },
      { channel: 'webhook', body: '{"seq":"{{payload.seq}}"}' },
    ],
  })
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const id = `s${i}`
    await call(base, 'PUT', `/notifications/v1/subscribers/${id}`, { webhookUrl: hookUrl })
    const { token } = (await call(base, 'POST', `/notifications/v1/subscribers/${id}/token`, {})) as {
      token: string
    }
    sockets.push(await inboxSocket(base, token, id, tracker))
  }
}

/** A live socket subscribed to `id`'s inbox; each new message reports its trigger to `tracker`. */
async function inboxSocket(base: string, token: string, id: string, tracker: Tracker): Promise<WebSocket> {
  const ws = new WebSocket(
    `${base.replace('http', 'ws')}/live/ws?v=2&access_token=${encodeURIComponent(token)}`,
  )
  const stream = `notifications.inbox.${id}`
  const onEvent = (e: { type?: string; message?: { body?: string } }) => {
    if (e.type === 'message' && e.message?.body) tracker.inApp(Number(e.message.body))
  }
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as {
        type: string
        stream?: string
        events?: { type?: string; message?: { body?: string } }[]
      }
      if (f.type === 'hello') ws.send(JSON.stringify({ v: 1, type: 'subscribe', stream, after: 0 }))
      else if (f.type === 'subscribed') resolve()
      else if (f.type === 'error') reject(new Error(`live: ${data.toString()}`))
      else if (f.type === 'batch') for (const e of f.events ?? []) onEvent(e)
      else onEvent(f)
    })
  })
  ws.on('error', () => {})
  return ws
}
