/**
 * The chat for a signed-in user: the connection and our own status on top,
 * the rooms column, the open room, and search. It wires the socket hook,
 * the room list and the open room's history together, and decides what we
 * tell the server about ourselves: presence (away while the tab is hidden
 * or when chosen), whose presence we watch (the open room's members and
 * our direct contacts), and read receipts (the open room, while visible).
 */
import { useEffect, useMemo, useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import { chatApi } from './api'
import type { SocketLike } from './chat-socket'
import { directPartner } from './chat-state'
import { RoomView } from './room-view'
import { RoomsPanel, roomTitle } from './rooms-panel'
import { SearchPanel } from './search-panel'
import type { Session } from './session'
import { storedRoom, storeRoom } from './session'
import { useChatSocket } from './use-chat-socket'
import { usePageHidden } from './use-page-visibility'
import { useRoomHistory } from './use-room-history'
import { useRooms } from './use-rooms'

const CONNECTION_WORDS = {
  connecting: 'connecting…',
  live: 'connected',
  reconnecting: 'reconnecting… (resumes where it stopped)',
  unauthorized: 'signed out by the server',
  closed: 'closed',
} as const

export interface ChatClientProps {
  session: Session
  onSignOut: (why?: string) => void
  /** Replaces the browser's WebSocket (tests). */
  openSocket?: (url: string) => SocketLike
  roomsPollMs?: number
}

export function ChatClient({ session, onSignOut, openSocket, roomsPollMs }: ChatClientProps) {
  const me = session.user
  const api = useMemo(() => chatApi(session.token), [session.token])
  const chat = useChatSocket(me, session.token, openSocket)
  const { state, actions } = chat
  const rooms = useRooms(api, chat, roomsPollMs)
  const [selected, setSelected] = useState(() => storedRoom(me))
  const [target, setTarget] = useState<{ room: number; offset: number }>()
  const [status, setStatus] = useState<'online' | 'away'>('online')
  const hidden = usePageHidden()
  const open = selected === undefined ? undefined : state.rooms[selected]
  const history = useRoomHistory(
    api,
    chat,
    open ? selected : undefined,
    target?.room === selected ? target?.offset : undefined,
  )

  const select = (room: number | undefined) => {
    setSelected(room)
    storeRoom(me, room)
  }

  useEffect(() => {
    actions.setPresence(status === 'away' || hidden ? 'away' : 'online')
  }, [actions, status, hidden])

  const roomList = useMemo(
    () => Object.values(state.rooms).sort((a, b) => a.room.id - b.room.id),
    [state.rooms],
  )
  const watched = useMemo(() => {
    const users = new Set(open?.members?.map((m) => m.user) ?? [])
    for (const r of roomList) {
      const partner = directPartner(r.room, me)
      if (partner) users.add(partner)
    }
    users.delete(me)
    return [...users].sort().join(',')
  }, [open?.members, roomList, me])
  useEffect(() => {
    actions.watch(watched ? watched.split(',') : [])
  }, [actions, watched])

  // Read receipts: the open room is read up to its head, while the page is visible and loaded.
  const head = open?.head ?? 0
  const lastRead = open?.lastRead ?? 0
  const loaded = open?.timeline.loaded ?? false
  useEffect(() => {
    if (selected === undefined || hidden || !loaded || head <= lastRead) return
    actions.read(selected, head)
  }, [actions, selected, hidden, loaded, head, lastRead])

  useEffect(() => {
    if (state.connection === 'unauthorized')
      onSignOut('The server no longer accepts your token: sign in again.')
  }, [state.connection, onSignOut])

  const added = (room: number) => {
    rooms.reload()
    select(room)
  }

  return (
    <div className="stack chat-page">
      <div className="card chat-bar">
        <p>
          Signed in as <strong data-me={me}>{me}</strong>
        </p>
        <p className="muted" data-connection={state.connection} aria-live="polite">
          {CONNECTION_WORDS[state.connection]}
        </p>
        <label className="inline-label">
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as 'online' | 'away')}>
            <option value="online">online</option>
            <option value="away">away</option>
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => onSignOut()}>
          Sign out
        </button>
      </div>
      {state.notice && <p className="form-error chat-notice">{state.notice}</p>}
      {rooms.error && (
        <ErrorBox title="Your rooms could not be loaded" onRetry={rooms.reload}>
          {rooms.error.message}
        </ErrorBox>
      )}
      <div className="chat-layout">
        <RoomsPanel
          api={api}
          me={me}
          rooms={roomList}
          ready={rooms.ready}
          selected={selected}
          presence={state.presence}
          onSelect={(room) => {
            setTarget(undefined)
            select(room)
          }}
          onAdded={added}
        />
        {open ? (
          <RoomView
            key={open.room.id}
            api={api}
            me={me}
            room={open}
            pending={state.pending.filter((p) => p.room === open.room.id)}
            presence={state.presence}
            history={history}
            actions={actions}
            target={target?.room === open.room.id ? target.offset : undefined}
            onLeft={() => {
              select(undefined)
              rooms.reload()
            }}
          />
        ) : (
          <section className="card chat-room">
            <p className="muted">Open a room on the left, or create one.</p>
          </section>
        )}
      </div>
      <SearchPanel
        api={api}
        roomName={(id) => {
          const r = state.rooms[id]
          return r ? roomTitle(r.room, me) : `room ${id}`
        }}
        openRoom={open ? { id: open.room.id, title: roomTitle(open.room, me) } : undefined}
        onOpen={(hit) => {
          setTarget({ room: hit.room, offset: hit.offset })
          select(hit.room)
        }}
      />
    </div>
  )
}
