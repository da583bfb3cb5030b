/**
 * A WebSocket as a connection's transport. Frames sent in one tick (a batch
 * of events, a page of replay) leave in at most two writes: the first frame at
 * once, the rest corked and written together after the tick. A write per
 * socket per batch instead of one per frame is most of the fan-out's cost, and
 * a v2 client's batch is a single frame, so it pays no cork at all.
 *
 * Shared frames (events) are written as the ready-made WebSocket frame of
 * wire.ts, the same Buffer for every socket, instead of each socket encoding
 * and framing the text again. That is what ws itself would write, as long as
 * no extension (permessage-deflate) was negotiated: it is disabled on the
 * live routes, and a socket with an extension gets `ws.send` anyway.
 */
import type { Socket } from 'node:net'
import type WebSocket from 'ws'
import type { Transport } from './connection.js'
import type { OutFrame } from './wire.js'

/** Transports written to in this tick; one callback uncorks them all after it (not one callback each). */
const writtenThisTick: WsTransport[] = []
function endTick(): void {
  for (let i = 0; i < writtenThisTick.length; i++) writtenThisTick[i]!.endTick()
  writtenThisTick.length = 0
}

/** A WebSocket as a connection's transport (see above). */
export class WsTransport implements Transport {
  readonly kind = 'ws'
  private corked = false
  private ticked = false
  private readonly socket: Socket | undefined
  /** Bytes queued in this tick: held by our own cork, not by a slow reader. */
  private tickBytes = 0
  /** Whether ready-made frames may go straight to the TCP socket. */
  private readonly raw: boolean
  /** The peer answered the last protocol ping (or sent a frame) since the last heartbeat. */
  alive = true
  constructor(private readonly ws: WebSocket) {
    // ws keeps its TCP socket private; it is there for as long as the WebSocket is open.
    this.socket = (ws as unknown as { _socket?: Socket })._socket
    this.raw = this.socket !== undefined && ws.extensions === ''
  }
  endTick(): void {
    this.ticked = false
    this.tickBytes = 0
    if (this.corked) {
      this.corked = false
      this.socket?.uncork()
    }
  }
  /**
   * Account for a frame about to be written. The first frame of a tick goes out at once (one write,
   * nothing held: the usual case, one room's batch); from the second on the socket is corked, so
   * the rest of the tick leaves in one more write.
   */
  private hold(bytes: number): void {
    if (!this.socket) return
    if (!this.ticked) {
      this.ticked = true
      if (writtenThisTick.push(this) === 1) process.nextTick(endTick)
      return
    }
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
    }
    this.tickBytes += bytes
  }
  send(text: string): void {
    if (this.ws.readyState !== 1) return
    this.hold(text.length)
    this.ws.send(text)
  }
  sendShared(frame: OutFrame): void {
    if (this.ws.readyState !== 1) return
    if (!this.raw) {
      this.send(frame.text)
      return
    }
    const bytes = frame.wsFrame()
    this.hold(bytes.length)
    this.socket!.write(bytes)
  }
  buffered(): number {
    return Math.max(0, this.ws.bufferedAmount - this.tickBytes)
  }
  async drained(lowWater: number): Promise<void> {
    // ws has no drain event of its own; the check is cheap and runs only for a connection that is behind.
    while (this.ws.readyState === 1 && this.ws.bufferedAmount > lowWater)
      await new Promise((r) => setTimeout(r, 10))
  }
  close(code: number, reason: string): void {
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }
  probe(): boolean {
    if (!this.alive) {
      // No pong for a whole interval: the peer is gone without a close (a cut cable, a sleeping laptop).
      this.ws.terminate()
      return false
    }
    this.alive = false
    if (this.ws.readyState === 1) this.ws.ping()
    return true
  }
}
