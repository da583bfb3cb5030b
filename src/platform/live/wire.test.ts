/**
 * The ready-made WebSocket frames of wire.ts, read by a real client (`ws`):
 * a server that speaks only the opening handshake writes textFrame() bytes,
 * and the client must get the same texts back, at every payload length
 * encoding (7-bit, 16-bit and 64-bit) and with multi-byte characters (the
 * length is in bytes).
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { roomAddressing, testKind } from '../testing/live.js'
import { waitFor } from '../testing/wait.js'
import type { LiveEvent } from './stream-kind.js'
import { EventRun, OutFrame, textFrame } from './wire.js'

/** Chat's room kind and naming (`"room": 3`): where a leave ends a member's stream. */
const room = testKind('chat.room', {
  endsFor: (e) => {
    const u = e as unknown as { kind?: string; user: string }
    return u.kind === 'leave' ? u.user : undefined
  },
})
const rooms = roomAddressing(room)

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

describe('WebSocket frames built once (wire.ts)', () => {
  let server: Server
  let port: number
  const texts = [
    'x',
    'é'.repeat(62) /* 124 bytes */,
    'a'.repeat(125),
    'a'.repeat(126),
    '€'.repeat(21_845) /* 65,535 bytes */,
    'b'.repeat(65_536),
    `${'ü'.repeat(40_000)}!`,
  ]
  beforeAll(async () => {
    server = createServer((socket) => {
      socket.once('data', (request) => {
        const key = /sec-websocket-key: (\S+)/i.exec(request.toString())![1]!
        const accept = createHash('sha1')
          .update(key + GUID)
          .digest('base64')
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        )
        for (const t of texts) socket.write(textFrame(t))
        // The same OutFrame, written twice: shared bytes are not consumed by a write.
        const shared = new OutFrame('{"shared":true}')
        socket.write(shared.wsFrame())
        socket.write(shared.wsFrame())
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('is read by a real client as the texts that were framed', async () => {
    const got: string[] = []
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false })
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false)
      got.push(data.toString())
    })
    await waitFor('every frame', () => got.length === texts.length + 2)
    expect(got).toEqual([...texts, '{"shared":true}', '{"shared":true}'])
    ws.terminate()
  })

  it('joins a run into one v2 batch frame whose events are the v1 frames', () => {
    const ref = room.ref('3')
    const run = new EventRun(ref, [
      { v: 1, type: 'message', room: 3, offset: 4, sender: 'a', cid: null, parent: null, body: 'x', at: 't' },
      { v: 1, type: 'update', room: 3, offset: 5, kind: 'leave', user: 'b', target: null, data: {}, at: 't' },
    ] as unknown as LiveEvent[])
    expect(JSON.parse(run.batch(rooms).text)).toEqual({
      v: 2,
      type: 'batch',
      room: 3,
      events: [0, 1].map((i) => JSON.parse(run.frame(rooms, i).text)),
    })
    expect([...(run.leavers ?? [])]).toEqual(['b'])
    expect(new EventRun(ref, run.events.slice(0, 1)).batch(rooms).text).toBe(run.frame(rooms, 0).text)
  })
})
