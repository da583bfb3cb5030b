/**
 * The open room: its name and topic, members with presence and receipts,
 * the messages, who is typing, and the composer. Leaving is here too
 * (direct rooms have exactly two members, so they cannot be left).
 */
import { useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import type { ChatApi } from './api'
import { type PendingSend, type RoomState, typists } from './chat-state'
import { Composer } from './composer'
import { MembersList } from './members-list'
import { MessageList } from './message-list'
import type { PresenceStatus } from './protocol'
import { roomTitle } from './rooms-panel'
import type { ChatMessage } from './timeline'
import type { ChatActions } from './use-chat-socket'
import { useNow } from './use-page-visibility'
import type { RoomHistory } from './use-room-history'

/** "alice is typing…", "alice and bob are typing…". */
export function typingLine(users: readonly string[]): string {
  if (users.length === 0) return ''
  if (users.length === 1) return `${users[0]} is typing…`
  if (users.length <= 3) return `${users.slice(0, -1).join(', ')} and ${users.at(-1)} are typing…`
  return `${users.length} people are typing…`
}

export interface RoomViewProps {
  api: ChatApi
  me: string
  room: RoomState
  pending: PendingSend[]
  presence: Readonly<Record<string, PresenceStatus>>
  history: RoomHistory
  actions: ChatActions
  target: number | undefined
  onLeft: () => void
}

export function RoomView({
  api,
  me,
  room,
  pending,
  presence,
  history,
  actions,
  target,
  onLeft,
}: RoomViewProps) {
  const id = room.room.id
  const title = roomTitle(room.room, me)
  const [leaveError, setLeaveError] = useState<string>()
  const [replyTo, setReplyTo] = useState<ChatMessage>()
  const typingNow = typists(room, Date.now())
  // Re-render every second while someone types, so the indicator goes when its time is up.
  useNow(typingNow.length > 0)

  const leave = async () => {
    setLeaveError(undefined)
    try {
      await api.leave(id, me)
      onLeft()
    } catch (err) {
      setLeaveError(err instanceof Error ? err.message : String(err))
    }
  }

  return (
    <section className="card chat-room" aria-labelledby="chat-room-heading" data-open-room={room.room.name}>
      <div className="section-head">
        <h2 id="chat-room-heading">
          {title} <span className="room-kind">{room.room.kind}</span>
        </h2>
        {room.room.kind !== 'direct' && (
          <button type="button" className="secondary small" onClick={() => void leave()}>
            Leave room
          </button>
        )}
      </div>
      {room.room.topic && <p className="muted">{room.room.topic}</p>}
      {leaveError && (
        <p className="form-error" role="alert">
          {leaveError}
        </p>
      )}
      <MembersList
        members={room.members}
        presence={presence}
        receipts={room.receipts}
        me={me}
        head={room.head}
      />
      {history.error && (
        <ErrorBox title="This room could not be loaded" onRetry={history.retry}>
          {history.error.message}
        </ErrorBox>
      )}
      <MessageList
        messages={room.timeline.messages}
        pending={pending}
        receipts={room.receipts}
        me={me}
        loaded={room.timeline.loaded}
        hasOlder={room.timeline.hasOlder}
        loadingOlder={history.loadingOlder}
        onLoadOlder={history.loadOlder}
        target={target}
        onRetry={actions.retry}
        onDiscard={actions.discard}
        actions={{
          onReply: setReplyTo,
          onEdit: (offset, body) => actions.edit(id, offset, body),
          onDelete: (offset) => actions.remove(id, offset),
          onReact: (offset, emoji, remove) => actions.react(id, offset, emoji, remove),
        }}
      />
      <p className="typing" aria-live="polite" data-typing={typingNow.join(',')}>
        {typingLine(typingNow)}
      </p>
      <Composer
        roomTitle={title}
        onSend={(body) => {
          actions.send(id, body, replyTo?.offset)
          setReplyTo(undefined)
        }}
        onTyping={() => actions.typing(id)}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(undefined)}
      />
    </section>
  )
}
