/**
 * A configuration in Kong's documented declarative format, loaded unchanged, behaves as Kong's
 * documentation says: key-auth answers 401 without a key and passes the consumer on with one,
 * rate-limiting allows 5 a minute then answers 429 with Kong's headers, hosts route (wildcards
 * included), strip_path strips. Then the file is edited: the change applies without a restart, and
 * an edit naming an unsupported plugin is refused while the last good configuration keeps serving.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDeclarative } from '../config/file-source.js'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  type Json,
  type Upstream,
  until,
  upstream,
} from '../testing.js'

const DOCS = readFileSync(new URL('./kong-docs.yaml', import.meta.url), 'utf8')

describe("a Kong configuration from Kong's documentation", () => {
  let up: Upstream
  let gw: GatewayClient
  let file: string
  let text: string

  beforeAll(async () => {
    up = await upstream('httpbin')
    text = DOCS.replaceAll('http://httpbin.konghq.com', up.url)
    file = await configFile(text)
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
  })

  it('key-auth: 401 without a key or with a wrong one; the consumer reaches the upstream with a good one', async () => {
    const none = await request(`${gw.proxy}/mock/anything`)
    expect(none.statusCode).toBe(401)
    expect(((await none.body.json()) as Json).message).toBe('No API key found in request')
    expect(none.headers['www-authenticate']).toBe('Key realm="kong"')

    const wrong = await request(`${gw.proxy}/mock/anything`, { headers: { apikey: 'nope' } })
    expect(wrong.statusCode).toBe(401)
    expect(((await wrong.body.json()) as Json).message).toBe('Unauthorized')

    const ok = await request(`${gw.proxy}/mock/request?apikey=top-secret-key`)
    expect(ok.statusCode).toBe(200)
    const seen = (await ok.body.json()) as Json
    // strip_path (on by default) removed /mock; the service's path /anything comes first.
    expect(seen.url).toBe('/anything/request?apikey=top-secret-key')
    expect(seen.headers['x-consumer-username']).toBe('luka')
    expect(seen.headers['x-credential-identifier']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("rate-limiting: five a minute per consumer, then 429 with Kong's headers", async () => {
    const remaining: string[] = []
    let refused: Awaited<ReturnType<typeof request>> | undefined
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await request(`${gw.proxy}/mock/x`, { headers: { apikey: 'top-secret-key' } })
      if (res.statusCode === 429) refused = res
      else {
        expect(res.statusCode).toBe(200)
        expect(res.headers['x-ratelimit-limit-minute']).toBe('5')
        expect(res.headers['ratelimit-limit']).toBe('5')
        expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0)
        remaining.push(String(res.headers['x-ratelimit-remaining-minute']))
        await res.body.dump()
      }
    }
    expect(refused).toBeDefined()
    // Each allowed request takes one (the earlier test's request took one of this minute's five
    // already), down to 0, then the refusal; the minute may have turned meanwhile: read from the
    // last time the count went up.
    const n = remaining.map(Number)
    let start = 0
    for (let i = 1; i < n.length; i++) if (n[i]! >= n[i - 1]!) start = i
    const run = n.slice(start)
    expect(run.at(-1)).toBe(0)
    expect(run[0]).toBeLessThanOrEqual(4)
    expect(run).toEqual(Array.from({ length: run.length }, (_, i) => run[0]! - i))
    expect(((await refused!.body.json()) as Json).message).toBe('API rate limit exceeded')
    expect(refused!.headers['x-ratelimit-remaining-minute']).toBe('0')
    expect(refused!.headers['ratelimit-remaining']).toBe('0')
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('routes by host, wildcard hosts included, and keeps the path when strip_path is false', async () => {
    for (const host of ['example.com', 'api.example.org']) {
      const res = await request(`${gw.proxy}/headers`, { headers: { host } })
      expect(res.statusCode).toBe(200)
      expect(((await res.body.json()) as Json).url).toBe('/headers')
    }
    const other = await request(`${gw.proxy}/headers`, { headers: { host: 'example.net' } })
    expect(other.statusCode).toBe(404)
    await other.body.dump()
  })

  it('applies an edit of the file without a restart, and refuses an unsupported plugin naming it', async () => {
    writeFileSync(file, text.replace('- /mock\n', '- /mock2\n'))
    await until(
      async () => {
        const res = await request(`${gw.proxy}/mock2/x`)
        await res.body.dump()
        return res.statusCode === 401
      },
      30_000,
      'the edited route to serve',
    )
    writeFileSync(file, text.replace('- name: key-auth', '- name: acl'))
    // Wait for the refused edit to have been read, then see the last good config still serving.
    await new Promise((r) => setTimeout(r, 2_000))
    const res = await request(`${gw.proxy}/mock2/x`)
    expect(res.statusCode).toBe(401)
    await res.body.dump()
  })
})

describe('declarative config refusals', () => {
  const base = (extra: string) =>
    `_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n${extra}`
  const refusal = (text: string) => {
    try {
      parseDeclarative(text)
    } catch (err) {
      return (err as Error).message
    }
    return 'accepted'
  }
  it('names an unsupported plugin, field, entity or policy', () => {
    expect(refusal(base('  plugins:\n  - name: acl\n'))).toBe(
      "services[0].plugins[0].name: plugin 'acl' is not supported by this gateway",
    )
    expect(refusal(base('  routes:\n  - name: r\n    paths: [/a]\n    snis: [a.example]\n'))).toBe(
      'services[0].routes[0].snis: unknown field (not supported by this gateway)',
    )
    expect(refusal(`${base('')}certificates: []\n`)).toBe('certificates: unknown or unsupported entity type')
    expect(
      refusal(base('  plugins:\n  - name: rate-limiting\n    config: { minute: 5, policy: cluster }\n')),
    ).toContain("services[0].plugins[0].config.policy: 'cluster'")
    expect(refusal(base('  plugins:\n  - name: rate-limiting\n    config: { minut: 5 }\n'))).toBe(
      'services[0].plugins[0].config.minut: unknown field (not supported by this gateway)',
    )
    expect(refusal(base('  routes:\n  - name: r\n'))).toContain(
      "must set one of 'methods', 'hosts', 'headers', 'paths'",
    )
    expect(refusal('_format_version: "9.9"\n')).toContain('unsupported version')
  })
  it('accepts the same configuration as JSON', () => {
    const cfg = parseDeclarative(
      JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: 'http://a.local:81/p' }] }),
    )
    expect(cfg.services[0]).toMatchObject({
      host: 'a.local',
      port: 81,
      path: '/p',
      retries: 5,
      read_timeout: 60_000,
    })
  })
})
