/**
 * The guarded agent checks the address it dials: IP literals in every
 * spelling, every address of a DNS answer (one private address among public
 * ones refuses the whole answer), and a name that answers privately at
 * connect time although it did not before (rebinding). A loopback listener
 * counts the connections it accepts: a refused dial reaches it zero times;
 * an allowed `host:port` reaches it.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkedAddress, ForbiddenAddressError, guardedAgent } from './guarded-agent.js'

describe('guarded agent', () => {
  let server: Server
  let port: number
  let connections = 0

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'))
    server.on('connection', () => {
      connections++
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise((r) => server.close(r)))

  it('refuses private literals and private DNS answers without connecting', async () => {
    const answers: Record<string, string[]> = {
      'rebind.example': ['127.0.0.1'],
      'mixed.example': ['93.184.215.14', '127.0.0.1'],
      'v6.example': ['::1'],
    }
    const agent = guardedAgent({ resolve: async (h) => answers[h] ?? [] })
    const before = connections
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://rebind.example:${port}/`,
      `http://mixed.example:${port}/`,
      `http://v6.example:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
    ]
    for (const url of urls) {
      const err = await request(url, { dispatcher: agent }).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(err, url).toBeInstanceOf(ForbiddenAddressError)
    }
    expect(connections - before).toBe(0)
    await agent.close()
  })

  it('dials an allowed host:port although it is private', async () => {
    const agent = guardedAgent({ allowed: new Set([`127.0.0.1:${port}`]) })
    const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent })
    expect(await res.body.text()).toBe('ok')
    await agent.close()
  })

  it('dials the address it checked, not a second answer', async () => {
    let calls = 0
    // First answer public, any later one private: a second resolution would reach loopback.
    const resolve = async () => (calls++ === 0 ? ['93.184.215.14'] : ['127.0.0.1'])
    await expect(checkedAddress('flip.example', 'flip.example:80', { resolve })).resolves.toEqual({
      address: '93.184.215.14',
      trusted: false,
    })
    expect(calls).toBe(1)
  })
})
