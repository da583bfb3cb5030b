/**
 * The show's live seat stream as a hook: a connection of the platform's live client to the
 * inventory's own endpoint (`/inventory/live/ws`, public: any token makes an anonymous viewer),
 * subscribed to one show from the offset of the map read. The client resumes from its last offset
 * after a cut, so each change arrives once and in order.
 */
import { useEffect, useRef, useState } from 'react'
import type {
  ConnectionState,
  LiveEventFrame,
  ServerFrame,
  SocketLike,
} from '../../../../src/platform/live/client/live-client.js'
import { LiveSocket } from '../../live/live-socket'
import type { SeatEvent } from './seat-map-state'

/** The inventory endpoint's WebSocket URL on this origin (protocol v2: a commit is one frame). */
export function seatStreamUrl(loc: { protocol: string; host: string } = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${loc.host}/inventory/live/ws?access_token=anonymous&v=2`
}

/** Seat events are `type: "seats"` frames with an offset; answers to our frames carry an `id`. */
function isSeatEvent(f: ServerFrame): f is LiveEventFrame {
  const e = f as Partial<LiveEventFrame> & { id?: unknown }
  return e.type === 'seats' && typeof e.offset === 'number' && e.id === undefined
}

export interface SeatStream {
  state: ConnectionState
  /** The last refusal the endpoint sent (a show that does not exist), in words. */
  error: string | undefined
}

/**
 * Stream `show` from `after` while both are set, calling `onEvent` for each change.
 * `open` replaces the browser's WebSocket (tests).
 */
export function useSeatStream(
  show: string | undefined,
  after: number | undefined,
  onEvent: (e: SeatEvent) => void,
  open?: (url: string) => SocketLike,
): SeatStream {
  const [state, setState] = useState<ConnectionState>('connecting')
  const [error, setError] = useState<string>()
  const onEventRef = useRef(onEvent)
  onEventRef.current = onEvent
  const openRef = useRef(open)

  useEffect(() => {
    if (show === undefined || after === undefined) return
    setError(undefined)
    const socket = new LiveSocket({
      url: () => seatStreamUrl(),
      field: 'show',
      isEvent: isSeatEvent,
      ...(openRef.current && { open: openRef.current }),
      handlers: {
        event: (_stream, e) => onEventRef.current(e as unknown as SeatEvent),
        frame: (f) => {
          if (f.type === 'error') setError((f as { message: string }).message)
        },
        state: (s) => setState(s),
      },
    })
    socket.subscribe(Number(show), after)
    return () => socket.close()
  }, [show, after])

  return { state, error }
}
