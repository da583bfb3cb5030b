/**
 * The Socket.IO peer of the chat bench: its server (this file is the child's entry, under
 * CHAT_BENCH_SOCKETIO) and its client side, doing what the Blueprints side does.
 */
import { createServer } from 'node:http'
import { Server as SocketIoServer } from 'socket.io'
import { type Socket, io as socketIoClient } from 'socket.io-client'
import { type Meter, openRooms, type Side } from './meter.js'

// The Socket.IO server, when run as the bench's child -----------------------------------------------------------

if (process.env.CHAT_BENCH_SOCKETIO !== undefined) {
  const http = createServer((req, res) => {
    if (req.url === '/ping') res.end('ok')
  })
  const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false })
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack: () => void) => {
      void socket.join(room)
      ack()
    })
    socket.on('msg', (room: string, body: string) => {
      io.to(room).emit('msg', room, body, socket.id)
    })
  })
  http.listen(0, '127.0.0.1', () => {
    const { port } = http.address() as { port: number }
    process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${port}` })}\n`)
  })
}

/** Socket.IO clients: one connection per member, joined to its room. */
export class SocketIoSide implements Side {
  private readonly sockets: Socket[] = []
  private senders: Socket[] = []
  constructor(
    private readonly meter: Meter,
    readonly inflight: number[],
    private readonly window: () => number,
    /** Rooms are named `<rooms><r>`: sides that share a server need distinct prefixes. */
    private readonly rooms = 'room',
  ) {}

  async connect(url: string, rooms: number, members: number): Promise<void> {
    this.senders.push(...(await openRooms(this.inflight, rooms, members, (r, m) => this.open(url, r, m))))
  }

  private async open(url: string, r: number, m: number): Promise<Socket> {
    const s = socketIoClient(url, { transports: ['websocket'], forceNew: true, reconnection: false })
    this.sockets.push(s)
    s.on('msg', (_room: string, body: string, from: string) => {
      this.meter.record(Number(body))
      if (m === 0 && from === s.id) {
        this.inflight[r]!--
        if (this.meter.active && this.inflight[r]! < this.window()) this.send(r)
      }
    })
    // A connection refused while thousands open at once (a full accept backlog on a loaded
    // machine) is tried again a few times, as a real client would, before the run fails.
    await new Promise<void>((resolve, reject) => {
      let tries = 0
      s.once('connect', () => resolve())
      s.on('connect_error', (err) => {
        if (++tries >= 5) reject(err)
        else setTimeout(() => s.connect(), 100 * tries)
      })
    })
    await new Promise<void>((resolve) => s.emit('join', `${this.rooms}${r}`, () => resolve()))
    return s
  }

  send(r: number): void {
    this.inflight[r]!++
    this.senders[r]!.emit('msg', `${this.rooms}${r}`, String(performance.now()))
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.disconnect()
  }
}

// ---- servers and memory -------------------------------------------------------------------------
