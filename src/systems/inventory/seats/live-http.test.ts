/**
 * The live seat map over its HTTP transports, for clients without WebSocket: an SSE viewer and a
 * long-poll viewer of a show see another buyer's hold appear and then the sale, each change once
 * and in order, the same events a WebSocket viewer gets (live.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import type { LiveJson } from '../../../platform/testing/live.js'
import { LivePollClient, LiveSseClient } from '../../../platform/testing/live-http.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { APP_TIMEOUT_MS, expectStatus, inventoryApp, simpleShow, type TestClient } from '../testing.js'

const PREFIX = '/inventory/live'
/** The HTTP transports authenticate each request: a token of the viewer's own keeps its session. */
const VIEWER = `viewer${process.pid}x${Date.now()}`

/** The seat events of `show` among recorded frames, batches unpacked. */
function seatEvents(frames: LiveJson[], show: number): LiveJson[] {
  return frames
    .flatMap((f) => (f.type === 'batch' ? f.events : [f]))
    .filter((f: LiveJson) => f.type === 'seats' && f.show === show)
}

describe.each(backends())('live seat map over SSE and long polling (%s)', (backend) => {
  let c: TestClient
  let url: string
  beforeAll(async () => {
    c = await inventoryApp(backend)
    await c.app.http.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(c.app.http.server.address() as { port: number }).port}`
  }, APP_TIMEOUT_MS)
  afterAll(() => c?.close())

  it('an SSE viewer and a polling viewer see a hold appear, then the sale', async () => {
    const show = Number(await simpleShow(c, 1, 6))
    const read = expectStatus(await c.api('GET', `/shows/${show}/seats`), 200)
    const sse = await LiveSseClient.connect(url, VIEWER, { prefix: PREFIX })
    const poll = await LivePollClient.open(url, VIEWER, PREFIX)
    try {
      expect(await sse.request({ type: 'subscribe', show, after: read.offset })).toMatchObject({
        type: 'subscribed',
      })
      expect(await poll.request({ type: 'subscribe', show, after: read.offset })).toMatchObject({
        type: 'subscribed',
      })

      const hold = expectStatus(
        await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-2', 'S-A-3'] }),
        201,
      )
      expectStatus(await c.api('POST', `/holds/${hold.id}/confirm`), 200)
      await waitFor(
        'the SSE viewer sees both changes',
        () => seatEvents(sse.frames, show).length >= 2,
        30_000,
      )
      await waitFor(
        'the polling viewer sees both changes',
        async () => {
          await poll.poll(1_000)
          return seatEvents(poll.frames, show).length >= 2
        },
        30_000,
      )
      for (const frames of [sse.frames, poll.frames])
        expect(seatEvents(frames, show).map((e) => [e.offset, e.state, e.seats.join(' '), e.hold])).toEqual([
          [1, 'held', 'S-A-2 S-A-3', hold.id],
          [2, 'sold', 'S-A-2 S-A-3', hold.id],
        ])
    } finally {
      sse.close()
    }
  }, 120_000)
})
