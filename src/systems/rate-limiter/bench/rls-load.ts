/**
 * The service scenarios' load: Envoy's `ShouldRateLimit` over gRPC from this
 * process (grpc-js, one HTTP/2 channel, as an Envoy sidecar keeps one), and
 * the same request as JSON for `POST /rate-limiter/json`.
 *
 * Every request carries one descriptor `remote_address = 10.0.x.y` over
 * 65,536 addresses: the example config's rule (token bucket, 10/s, burst
 * 20) then never refuses (each address is asked far less than 10 times a
 * second), so the numbers are the cost of an admitted decision. An
 * OVER_LIMIT answer, a gRPC error, or a decision the service made without
 * its store (a Redis call slower than RATE_LIMITER_REDIS_TIMEOUT_MS falls
 * back to the in-memory insurance limiter) counts as an error, not as a call
 * done: a fallback is cheaper than the real decision.
 */
import * as grpc from '@grpc/grpc-js'
import { rlsService } from '../grpc.js'
import { drive } from './drive.js'

/** The RLS domain and descriptor key of the bundled example.yaml. */
const DOMAIN = 'demo'
const ADDRESSES = 65_536

const address = (i: number) => `10.0.${(i >>> 8) & 255}.${i & 255}`
/** The i-th call's address: the same hash as the library keys, every address equally often. */
const addressOf = (i: number) => address((Math.imul(i, 2_654_435_761) >>> 0) % ADDRESSES)

/** The request of the i-th call as grpc-js takes it (proto-loader objects, camelCase). */
export const rlsRequest = (i: number) => ({
  domain: DOMAIN,
  descriptors: [{ entries: [{ key: 'remote_address', value: addressOf(i) }] }],
})

let jsonCalls = 0
/** A JSON body per request for autocannon (`body` generator). */
export const rlsJsonBody = (): string => JSON.stringify(rlsRequest(jsonCalls++))

interface Stats {
  store: string
  grpc: { host: string; port: number } | null
  rules: { fallback: number }[]
}

async function stats(baseUrl: string): Promise<Stats> {
  const res = await fetch(`${baseUrl}/rate-limiter/stats`)
  if (res.status !== 200) throw new Error(`GET /rate-limiter/stats answered ${res.status}`)
  return (await res.json()) as Stats
}

/** Decisions taken without the store so far (fallbacks), over every rule. */
const fallbacks = (s: Stats) => s.rules.reduce((n, r) => n + r.fallback, 0)

type ShouldRateLimit = (
  req: unknown,
  cb: (err: grpc.ServiceError | null, res?: { overallCode?: string }) => void,
) => void

/** One client per server, created on first use and kept: a channel is not reconnected per slice. */
const clients = new Map<string, ShouldRateLimit>()

async function clientFor(baseUrl: string): Promise<ShouldRateLimit> {
  const call = clients.get(baseUrl)
  if (call) return call
  const { grpc: at } = await stats(baseUrl)
  if (!at) throw new Error(`${baseUrl} runs no gRPC server (RATE_LIMITER_GRPC_PORT=-1?)`)
  const Service = rlsService()
  const client = new Service(`${at.host}:${at.port}`, grpc.credentials.createInsecure())
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  )
  const method = (client as unknown as { shouldRateLimit: ShouldRateLimit }).shouldRateLimit.bind(client)
  clients.set(baseUrl, method)
  return method
}

const overLimit = new Error('OVER_LIMIT')

/** A CustomLoad's `run`: `concurrency` gRPC calls in flight for the duration. */
export function grpcLoad(concurrency: number) {
  return async ({ durationMs, server }: { durationMs: number; server: { url: string } | undefined }) => {
    if (!server) throw new Error('the gRPC load needs the service started')
    const call = await clientFor(server.url)
    const before = fallbacks(await stats(server.url))
    // Why calls failed, by kind: a count alone does not say whether to blame the service, Redis or the client.
    const kinds = new Map<string, number>()
    const failed = (err: unknown) => {
      const kind = err === overLimit ? 'OVER_LIMIT' : `gRPC status ${(err as grpc.ServiceError).code}`
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      return false // counted as an error by drive()
    }
    const out = await drive({
      concurrency,
      durationMs,
      call: (i) =>
        new Promise<void>((resolve, reject) =>
          call(rlsRequest(i), (err, res) =>
            err ? reject(err) : res?.overallCode === 'OK' ? resolve() : reject(overLimit),
          ),
        ),
      isDecision: failed,
    })
    const fellBack = fallbacks(await stats(server.url)) - before
    if (fellBack > 0)
      kinds.set('store fallback (Redis slower than RATE_LIMITER_REDIS_TIMEOUT_MS, or down)', fellBack)
    if (kinds.size > 0)
      process.stderr.write(
        `[rls] errors in one ${durationMs / 1000} s slice: ${[...kinds].map(([k, n]) => `${k} x${n}`).join(', ')}\n`,
      )
    return {
      ops: Math.max(0, out.ops - fellBack),
      latenciesMs: out.latenciesMs,
      errors: out.errors + fellBack,
    }
  }
}
