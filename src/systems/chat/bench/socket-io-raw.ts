/**
 * A lean Socket.IO client side for the chat bench: the Socket.IO 4 wire protocol (Engine.IO v4
 * packets over one WebSocket, Socket.IO v5 packets inside) spoken directly on `ws`, reading each
 * `msg` event's fields by position instead of decoding it into objects.
 *
 * Why it exists: on a 2-core machine the load generator has one core, so each side's clients
 * should be as cheap as they can be. This one was built to check whether socket.io-client is: in an
 * interleaved A/B it delivered the same messages per load CPU-second (a frame per message costs
 * the same to receive either way) and 4% fewer per Socket.IO server CPU-second, so the bench keeps
 * socket.io-client and runs this side only with CHAT_BENCH_CLIENTS=raw.
 *
 * The packets this side sees and sends (https://socket.io/docs/v4/socket-io-protocol/):
 *   server `0{...}` Engine.IO open; client `40` Socket.IO connect; server `40{"sid":"..."}`;
 *   server `2` ping, client `3` pong; client `42<ack>["join","room0"]`, server `43<ack>[]`;
 *   client `42["msg","room0","<body>"]`; server `42["msg","room0","<body>","<sender sid>"]`.
 */
import WebSocket from 'ws'
import { type Meter, openRooms, type Side } from './meter.js'

/** Socket.IO clients on raw WebSockets: one connection per member, joined to its room. */
export class SocketIoRawSide implements Side {
  private readonly sockets: WebSocket[] = []
  private senders: WebSocket[] = []
  constructor(
    private readonly meter: Meter,
    readonly inflight: number[],
    private readonly window: () => number,
  ) {}

  async connect(url: string, rooms: number, members: number): Promise<void> {
    this.senders = await openRooms(this.inflight, rooms, members, (r, m) =>
      this.open(url, `room${r}`, r, m === 0),
    )
  }

  private async open(url: string, room: string, r: number, sender: boolean): Promise<WebSocket> {
    // A connection refused while thousands open at once (a full accept backlog on a loaded machine)
    // is tried again a few times, as socket.io-client would, before the run fails.
    for (let tries = 1; ; tries++) {
      try {
        return await this.try(url, room, r, sender)
      } catch (err) {
        if (tries >= 5) throw err
        await new Promise((res) => setTimeout(res, 100 * tries))
      }
    }
  }

  private try(url: string, room: string, r: number, sender: boolean): Promise<WebSocket> {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    })
    let sid = ''
    return new Promise<WebSocket>((resolve, reject) => {
      ws.on('error', reject)
      ws.on('message', (data) => {
        const text = data.toString()
        if (text.startsWith('42["msg",')) {
          // 42["msg","<room>","<body>","<sid>"]: body and sender by position (no quotes inside either).
          const roomEnd = text.indexOf('","', 10)
          const bodyEnd = text.indexOf('","', roomEnd + 3)
          this.meter.record(Number(text.slice(roomEnd + 3, bodyEnd)))
          if (sender && text.slice(bodyEnd + 3, text.length - 2) === sid) {
            this.inflight[r]!--
            if (this.meter.active && this.inflight[r]! < this.window()) this.send(r)
          }
        } else if (text === '2') ws.send('3')
        else if (text.startsWith('0{')) ws.send('40')
        else if (text.startsWith('40{')) {
          sid = (JSON.parse(text.slice(2)) as { sid: string }).sid
          ws.send(`420${JSON.stringify(['join', room])}`)
        } else if (text.startsWith('430')) {
          this.sockets.push(ws)
          resolve(ws)
        } else if (text.startsWith('44')) reject(new Error(`socket.io refused the connection: ${text}`))
      })
      ws.on('close', () => reject(new Error('closed before joining')))
    })
  }

  send(r: number): void {
    this.inflight[r]!++
    this.senders[r]!.send(`42["msg","room${r}","${performance.now()}"]`)
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate()
  }
}
