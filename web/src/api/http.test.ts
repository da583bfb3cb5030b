import { afterEach, describe, expect, it, vi } from 'vitest'
import { request, requestJson } from './http'

afterEach(() => vi.unstubAllGlobals())

function stub() {
  const fetch = vi.fn(async () => new Response('{}', { status: 200 }))
  vi.stubGlobal('fetch', fetch)
  return fetch
}

const headersOf = (fetch: ReturnType<typeof stub>, i: number) =>
  (fetch.mock.calls[i] as unknown as [string, RequestInit])[1].headers as Record<string, string>

describe("the console's own requests", () => {
  it('mark reads (polling) with x-blueprints-client: console, so metrics leave them out', async () => {
    const fetch = stub()
    await requestJson('/jobs/queues', { headers: { authorization: 'Bearer t' } })
    await request('/metrics')
    expect(headersOf(fetch, 0)).toMatchObject({ 'x-blueprints-client': 'console', authorization: 'Bearer t' })
    expect(headersOf(fetch, 1)).toMatchObject({ 'x-blueprints-client': 'console' })
  })

  it("leave writes unmarked: a person's action is the system's traffic", async () => {
    const fetch = stub()
    await requestJson('/jobs/queues/default/jobs', { method: 'POST', body: { task: 'noop' } })
    expect(headersOf(fetch, 0)['x-blueprints-client']).toBeUndefined()
  })
})
