/**
 * Public rooms we are not in yet, each with a Join button. Loaded when
 * asked (a list of every public room is not worth polling).
 */
import { useCallback, useEffect, useState } from 'react'
import type { ChatApi, Room } from './api'
import type { RoomState } from './chat-state'

export function PublicRooms({
  api,
  me,
  mine,
  onJoined,
}: {
  api: ChatApi
  me: string
  mine: RoomState[]
  onJoined: (room: number) => void
}) {
  const [rooms, setRooms] = useState<Room[]>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    setError(undefined)
    try {
      setRooms(await api.publicRooms())
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    }
  }, [api])

  useEffect(() => {
    void load()
  }, [load])

  const join = async (room: number) => {
    setBusy(true)
    setError(undefined)
    try {
      await api.join(room, me)
      onJoined(room)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  const joined = new Set(mine.map((r) => r.room.id))
  const open = (rooms ?? []).filter((r) => !joined.has(r.id))
  return (
    <section className="room-form" aria-labelledby="chat-public">
      <div className="section-head">
        <h3 id="chat-public">Public rooms</h3>
        <button type="button" className="secondary small" onClick={() => void load()}>
          Refresh list
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!rooms ? (
        !error && <p className="muted">Loading…</p>
      ) : open.length === 0 ? (
        <p className="muted">You are in every public room.</p>
      ) : (
        <ul className="public-rooms">
          {open.map((r) => (
            <li key={r.id} data-public-room={r.name}>
              <span className="room-name">{r.name}</span>
              <button
                type="button"
                className="secondary small"
                disabled={busy}
                aria-label={`Join ${r.name}`}
                onClick={() => void join(r.id)}
              >
                Join
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
