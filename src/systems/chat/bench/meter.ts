/** What one scenario's clients share: the delivery meter, and the shape of a client side. */
export class Meter {
  active = false
  delivered = 0
  latencies: number[] = []

  record(sentAt: number): void {
    if (!this.active) return
    this.delivered++
    // Keep the sample bounded: every delivery counts, one in four latencies is kept.
    if ((this.delivered & 3) === 0) this.latencies.push(performance.now() - sentAt)
  }
}

export interface Side {
  /**
   * Issue beforehand what R x M connections need (Blueprints: tokens and rooms), so that `connect`
   * then only opens sockets: the idle-memory ramp charges connections, not the requests made for them.
   */
  register?(url: string, rooms: number, members: number): Promise<void>
  /** Open R x M connections and join every member to its room (after `register`, if any). */
  connect(url: string, rooms: number, members: number): Promise<void>
  /** Make room `r`'s sender send one message stamped with `now`. */
  send(r: number): void
  close(): Promise<void>
}

/**
 * Open `members` clients in each of `rooms` rooms, a room at a time (its members at once), with an
 * in-flight counter per room; member 0 of each room is its sender. Returns the senders, by room.
 */
export async function openRooms<C>(
  inflight: number[],
  rooms: number,
  members: number,
  open: (r: number, m: number) => Promise<C>,
): Promise<C[]> {
  const senders: C[] = []
  for (let r = 0; r < rooms; r++) {
    inflight.push(0)
    const clients = await Promise.all(Array.from({ length: members }, (_, m) => open(r, m)))
    senders.push(clients[0]!)
  }
  return senders
}
