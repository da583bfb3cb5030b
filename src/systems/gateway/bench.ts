/**
 * The gateway's benchmark (`npm run bench -- gateway`): one GET through each subject to the same
 * upstream (a bare node:http server, bench/upstream.ts), keep-alive on both sides, side by side:
 *
 * - direct: the upstream itself (the floor);
 * - @fastify/http-proxy: the Node proxy users would pick instead;
 * - blueprints gateway, no plugins: DB-less, one service and route;
 * - blueprints gateway with key-auth + rate-limiting (Redis, through platform/rate-limit) +
 *   correlation-id on the route.
 *
 * - nginx and HAProxy (Debian's packages) as reverse proxies, when installed (skipped otherwise).
 * The upstream shares the server core with the proxy under test (both pinned to core 0 when
 * pinning is on), so every proxy subject pays the same upstream cost.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { stringify } from 'yaml'
import { startChild } from '../../../bench/harness/child.js'
import { listeningUrlFromLine, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchSuite, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'

const KEY = 'bench-consumer-key-0000'

let upstreamServer: Promise<StartedServer> | undefined
/** One upstream for every subject of the run (stopped with the harness). */
function sharedUpstream(): Promise<StartedServer> {
  upstreamServer ??= startChild({
    name: 'bench upstream',
    entry: 'src/systems/gateway/bench/upstream.ts',
    env: { PORT: '0' },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ready',
    readyStatus: 200,
  })
  return upstreamServer
}

async function direct(): Promise<StartedServer> {
  const up = await sharedUpstream()
  // The upstream outlives the subject: every other subject needs it too.
  return { url: up.url, pid: up.pid, stop: async () => {} }
}

async function fastifyProxy(): Promise<StartedServer> {
  const up = await sharedUpstream()
  return startChild({
    name: '@fastify/http-proxy',
    entry: 'src/systems/gateway/bench/fastify-proxy.ts',
    env: { PORT: '0', UPSTREAM: up.url },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ready',
    readyStatus: 200,
  })
}

async function gateway(plugins: boolean): Promise<StartedServer> {
  const up = await sharedUpstream()
  const route: Record<string, unknown> = { name: 'bench', paths: ['/'] }
  if (plugins)
    route.plugins = [
      { name: 'key-auth' },
      // A limit never reached: every request pays the Redis round trip, none is refused.
      { name: 'rate-limiting', config: { second: 1_000_000_000, policy: 'redis', limit_by: 'consumer' } },
      { name: 'correlation-id', config: { generator: 'uuid#counter' } },
    ]
  const doc = {
    _format_version: '3.0',
    services: [{ name: 'bench', url: up.url, routes: [route] }],
    consumers: [{ username: 'bench', keyauth_credentials: [{ key: KEY }] }],
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'gw-bench-'))
  const file = path.join(dir, 'kong.yaml')
  writeFileSync(file, stringify(doc))
  const redis: Record<string, string> = plugins
    ? { REDIS_URL: testServiceUrls().redisUrl, REDIS_KEY_PREFIX: `bench:gw:${Date.now()}:` }
    : {}
  const main = await startBlueprints({
    name: plugins ? 'gateway (key-auth + rate-limiting + correlation-id)' : 'gateway (no plugins)',
    env: { SYSTEMS: 'gateway', GATEWAY_PORT: '0', GATEWAY_CONFIG: file, ...redis },
  })
  const info = (await (await fetch(`${main.url}/gateway/admin`)).json()) as {
    configuration: { proxy_listeners: { port: number }[] }
  }
  return {
    url: `http://127.0.0.1:${info.configuration.proxy_listeners[0]!.port}`,
    pid: main.pid,
    stop: () => main.stop(),
  }
}

/** nginx or HAProxy from Debian (bench/native-proxy.ts); its own pid, so CPU and memory are its. */
async function nativeProxy(kind: 'nginx' | 'haproxy'): Promise<StartedServer> {
  const up = await sharedUpstream()
  const c = await startChild({
    name: kind,
    entry: 'src/systems/gateway/bench/native-proxy.ts',
    env: { NATIVE_PROXY: kind, UPSTREAM: up.url },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ready',
    readyStatus: 200,
  })
  const pid = Number(/"pid":(\d+)/.exec(c.output())?.[1] ?? c.pid)
  return { url: c.url, pid, stop: () => c.stop() }
}

/** Whether a program is on PATH (nginx and HAProxy are optional peers: `apt-get install nginx-light haproxy`). */
function installed(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0
}

const load = { kind: 'http' as const, path: '/bench/item', connections: 50, pipelining: 1 }

const suite: BenchSuite = {
  system: 'gateway',
  scenarios: [
    {
      name: 'proxy-get',
      description:
        'GET through each proxy to one bare node:http upstream, keep-alive both sides, 50 connections',
      subjects: [
        { name: 'gateway (no plugins)', role: 'system', start: () => gateway(false), load },
        {
          name: 'gateway (key-auth + rate-limiting redis + correlation-id)',
          role: 'system',
          start: () => gateway(true),
          load: { ...load, headers: { apikey: KEY } },
        },
        { name: '@fastify/http-proxy', role: 'peer', start: fastifyProxy, load },
        ...(installed('nginx')
          ? [{ name: 'nginx', role: 'peer' as const, start: () => nativeProxy('nginx'), load }]
          : []),
        ...(installed('haproxy')
          ? [{ name: 'HAProxy', role: 'peer' as const, start: () => nativeProxy('haproxy'), load }]
          : []),
        { name: 'direct to upstream', role: 'baseline', start: direct, load },
      ],
      goals: { '@fastify/http-proxy': 1.5, nginx: 0.5 },
    },
  ],
}

export default suite
