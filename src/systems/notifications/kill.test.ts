/**
 * Exactly once per channel under SIGKILL, with real server processes (`src/main.ts`,
 * SYSTEMS=notifications): a workflow of email + in-app + webhook + a 10 s digest (then an in-app
 * summary of the digest), triggered TRIGGERS times with an Idempotency-Key each, clients retrying
 * every trigger whose answer they did not get (on another process). A process is SIGKILLed while
 * triggers arrive and another while deliveries are in flight; both are started again.
 * Afterwards, counted where the messages land: each trigger's email is one Message-ID at the SMTP
 * sink, its webhook one webhook-id at the receiver (signature verified), its in-app message one
 * inbox row; every trigger is in exactly one digest of its subscriber. Services: 3 processes on
 * one PostgreSQL + Redis + NATS; embedded: one process on a PGlite folder, killed and restarted.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, uniqueId } from '../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import { API_TOKEN, auth, counts, smtpSink, webhookReceiver } from './testing.js'

const SUBSCRIBERS = 20

describe.each(backends())('notifications processes killed with SIGKILL (%s)', (backend) => {
  const TRIGGERS = backend === 'services' ? 1000 : 200
  const started: ServerProcess[] = []
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-notify-'))
  let smtp: Awaited<ReturnType<typeof smtpSink>> | undefined
  let hooks: Awaited<ReturnType<typeof webhookReceiver>> | undefined
  afterAll(async () => {
    for (const p of started) p.kill('SIGKILL')
    await Promise.all(started.map((p) => p.exited))
    await smtp?.close()
    await hooks?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('delivers each channel of each trigger exactly once; digests hold exactly their window', async () => {
    const secrets = new Map<string, string>()
    smtp = await smtpSink()
    hooks = await webhookReceiver(() => secrets)
    const env = {
      SYSTEMS: 'notifications',
      DATA_DIR: dataDir,
      NOTIFICATIONS_API_TOKEN: API_TOKEN,
      NOTIFICATIONS_SMTP_URL: smtp.url,
      NOTIFICATIONS_ALLOWED_TARGETS: `127.0.0.1:${hooks.port}`,
      NOTIFICATIONS_BACKOFF_BASE_MS: '200',
      NOTIFICATIONS_BACKOFF_MAX_MS: '2000',
      NOTIFICATIONS_RATE_LIMIT: '1000000',
      JOBS_LEASE_MS: '5000',
      ...backendEnv(backend, uniqueId()),
    }
    const start = async () => {
      const p = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })
      started.push(p)
      return p
    }
    const servers: ServerProcess[] = []
    for (let i = 0; i < (backend === 'services' ? 3 : 1); i++) servers.push(await start())
    const api = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const server = servers[Math.floor(Math.random() * servers.length)]!
      const res = await fetch(`${server.url}${url}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      })
      return {
        status: res.status,
        body: (await res.json().catch(() => undefined)) as Record<string, unknown>,
      }
    }

    for (let s = 0; s < SUBSCRIBERS; s++) {
      const id = `s${s}`
      const r = await api('PUT', `/notifications/v1/subscribers/${id}`, {
        email: `${id}@example.com`,
        webhookUrl: hooks.url(id),
      })
      expect(r.status).toBe(201)
      secrets.set(id, r.body.webhookSecret as string)
    }
    const w = await api('PUT', '/notifications/v1/workflows/alert', {
      steps: [
        { channel: 'email', subject: 'alert {{payload.n}}', body: '<p>alert {{payload.n}}</p>' },
        { channel: 'in_app', body: 'alert {{payload.n}}' },
        { channel: 'webhook', body: '{"n": {{payload.n}}}' },
        { type: 'digest', ms: 10_000 },
        { channel: 'in_app', body: 'digest {{#digest.events}}{{n}},{{/digest.events}}' },
      ],
    })
    expect(w.status).toBe(201)

    // Triggers from 8 clients; an unanswered one is retried with its key until answered.
    const acked = new Map<number, string>()
    let next = 0
    let killed: ServerProcess | undefined
    const client = async () => {
      while (next < TRIGGERS) {
        const n = next++
        for (;;) {
          const r = await api(
            'POST',
            '/notifications/v1/events/trigger',
            { name: 'alert', to: `s${n % SUBSCRIBERS}`, payload: { n } },
            { 'idempotency-key': `alert-${n}` },
          ).catch(() => ({ status: 0, body: {} }) as { status: number; body: Record<string, unknown> })
          if (r.status === 201) {
            const prior = acked.get(n)
            if (prior) expect(r.body.transactionId).toBe(prior)
            acked.set(n, r.body.transactionId as string)
            break
          }
          expect([0, 502, 503]).toContain(r.status)
          // A client backs off before retrying (and a refused connect fails without I/O: a loop
          // without a pause would starve this process's event loop, the sink's and receiver's too).
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
        if (!killed && acked.size >= TRIGGERS * 0.4) {
          killed = servers[0]!
          killed.kill('SIGKILL')
        }
      }
    }
    const restart = (async () => {
      await waitFor('the first kill', () => killed !== undefined, 300_000)
      await killed!.exited
      servers.splice(servers.indexOf(killed!), 1)
      if (servers.length === 0) servers.push(await start())
      else servers.push(await start())
    })()
    await Promise.all(Array.from({ length: 8 }, () => client()))
    await restart
    expect(acked.size).toBe(TRIGGERS)

    // The second kill: while deliveries and digests are in flight.
    await waitFor('some deliveries', () => smtp!.mails.length > TRIGGERS / 10, 300_000)
    const second = servers[servers.length - 1]!
    second.kill('SIGKILL')
    await second.exited
    servers.splice(servers.indexOf(second), 1)
    servers.push(await start())

    const uniqueMails = () => new Set(smtp!.mails.map((m) => m.messageId)).size
    const uniqueHooks = () => new Set(hooks!.received.map((h) => h.id)).size
    await waitFor(
      `${TRIGGERS} mails and webhooks`,
      () => uniqueMails() >= TRIGGERS && uniqueHooks() >= TRIGGERS,
      900_000,
    )

    // Email: one Message-ID per trigger (a resend after a kill repeats the same id, never a new one).
    const mailIdsPerTrigger = new Map<string, Set<string>>()
    for (const m of smtp.mails) {
      const ids = mailIdsPerTrigger.get(m.subject) ?? new Set()
      ids.add(m.messageId)
      mailIdsPerTrigger.set(m.subject, ids)
    }
    expect(mailIdsPerTrigger.size).toBe(TRIGGERS)
    expect([...mailIdsPerTrigger.values()].every((s) => s.size === 1)).toBe(true)
    // Webhooks: every one verified; one webhook-id per trigger.
    expect(hooks.received.every((h) => h.verified)).toBe(true)
    const hookIdsPerTrigger = new Map<number, Set<string>>()
    for (const h of hooks.received) {
      const n = (h.body.data as { n: number }).n
      const ids = hookIdsPerTrigger.get(n) ?? new Set()
      ids.add(h.id)
      hookIdsPerTrigger.set(n, ids)
    }
    expect(hookIdsPerTrigger.size).toBe(TRIGGERS)
    expect([...hookIdsPerTrigger.values()].every((s) => s.size === 1)).toBe(true)

    // In-app: each trigger's message exactly once; each trigger in exactly one digest (after every window closed).
    const inboxOf = async (s: string) => {
      const out: string[] = []
      let before: string | undefined
      for (;;) {
        const q = new URLSearchParams({ limit: '100', ...(before && { before }) })
        const r = await api('GET', `/notifications/v1/subscribers/${s}/inbox?${q}`)
        const page = r.body as { messages: { body: string; id: string }[]; next: string | null }
        out.push(...page.messages.map((m) => m.body))
        if (!page.next) return out
        before = page.next
      }
    }
    const perSubscriber = TRIGGERS / SUBSCRIBERS
    await waitFor(
      'every digest delivered',
      async () => {
        for (let s = 0; s < SUBSCRIBERS; s++) {
          const digested = (await inboxOf(`s${s}`))
            .filter((b) => b.startsWith('digest '))
            .flatMap((b) => b.slice(7).split(',').filter(Boolean))
          if (digested.length < perSubscriber) return false
        }
        return true
      },
      600_000,
    )
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const bodies = await inboxOf(`s${s}`)
      const mine = Array.from({ length: perSubscriber }, (_, k) => k * SUBSCRIBERS + s)
      const alerts = bodies.filter((b) => b.startsWith('alert ')).map((b) => Number(b.slice(6)))
      expect(alerts.sort((a, b) => a - b)).toEqual(mine)
      const digested = bodies
        .filter((b) => b.startsWith('digest '))
        .flatMap((b) => b.slice(7).split(',').filter(Boolean).map(Number))
      expect(
        digested.sort((a, b) => a - b),
        `s${s}'s digests`,
      ).toEqual(mine)
    }
    expect(counts(smtp.mails.map((m) => m.messageId)).size).toBe(TRIGGERS)
  }, 1_800_000)
})
