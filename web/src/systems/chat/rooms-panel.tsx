/**
 * The rooms column: our rooms with their unread counts (direct rooms named
 * after the other person, with their presence), then the ways to get a new
 * one: create a public or private room, message someone directly, join a
 * public room.
 */
import type { ChatApi } from './api'
import { directPartner, type RoomState, unread } from './chat-state'
import type { PresenceStatus } from './protocol'
import { PublicRooms } from './public-rooms'
import { DirectForm, NewRoomForm } from './room-forms'

export interface RoomsPanelProps {
  api: ChatApi
  me: string
  rooms: RoomState[]
  ready: boolean
  selected: number | undefined
  presence: Readonly<Record<string, PresenceStatus>>
  onSelect: (room: number) => void
  /** A room was created or joined: list again, and open it. */
  onAdded: (room: number) => void
}

const KIND: Record<string, string> = { public: 'public', private: 'private', direct: 'direct' }

/** The room's name as this user sees it. */
export function roomTitle(room: { kind: string; name: string }, me: string): string {
  return directPartner(room, me) ?? room.name
}

export function RoomsPanel(p: RoomsPanelProps) {
  return (
    <aside className="card chat-rooms" aria-labelledby="chat-rooms-heading">
      <h2 id="chat-rooms-heading">Rooms</h2>
      {p.rooms.length === 0 ? (
        <p className="muted">{p.ready ? 'No rooms yet: create one or join a public room.' : 'Loading…'}</p>
      ) : (
        <ul className="room-list">
          {p.rooms.map((r) => {
            const n = unread(r)
            const partner = directPartner(r.room, p.me)
            const status = partner ? (p.presence[partner] ?? 'offline') : undefined
            const current = r.room.id === p.selected
            return (
              <li key={r.room.id}>
                <button
                  type="button"
                  className={current ? 'room-button current' : 'room-button'}
                  aria-current={current ? 'true' : undefined}
                  data-room={r.room.id}
                  data-room-name={r.room.name}
                  onClick={() => p.onSelect(r.room.id)}
                >
                  <span className="room-name">
                    {status && (
                      <span className={`presence-dot presence-${status}`} title={status} aria-hidden="true" />
                    )}
                    {roomTitle(r.room, p.me)}
                  </span>
                  <span className="room-kind">
                    {KIND[r.room.kind]}
                    {status && <span className="sr-only">, {status}</span>}
                  </span>
                  {n > 0 && !current && (
                    // Unread counts room events (joins and reactions too), so it says "new", not a number.
                    <span className="unread" data-unread={n} title={`${n} events since you last read`}>
                      new
                    </span>
                  )}
                </button>
              </li>
            )
          })}
        </ul>
      )}
      <NewRoomForm api={p.api} onCreated={p.onAdded} />
      <DirectForm api={p.api} me={p.me} onOpened={p.onAdded} />
      <PublicRooms api={p.api} mine={p.rooms} onJoined={p.onAdded} me={p.me} />
    </aside>
  )
}
