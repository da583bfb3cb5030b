/**
 * The protocol client as a React hook: one ChatSocket per signed-in token,
 * its callbacks feeding the page's reducer, and the actions the page calls.
 * It reads the rooms on the console's live connection (`/live/ws`, shared
 * by every live page: web/src/live/live-socket.ts) as streams
 * `chat.room.<id>`; signing out or leaving the page releases it.
 */
import { type Dispatch, useEffect, useMemo, useReducer, useRef } from 'react'
import { acquireLive, releaseLive } from '../../live/live-socket'
import { ChatSocket, newCid, type SocketLike } from './chat-socket'
import { type ChatAction, type ChatState, chatReducer, initialChatState } from './chat-state'

export interface ChatActions {
  /** Stream a room from `after` (a no-op for a room already streaming). */
  subscribe(room: number, after: number): void
  unsubscribe(room: number): void
  /** Send a message; `parent`: the offset it replies to (a thread). */
  send(room: number, body: string, parent?: number): void
  edit(room: number, message: number, body: string): void
  remove(room: number, message: number): void
  react(room: number, message: number, emoji: string, remove: boolean): void
  retry(cid: string): void
  discard(cid: string): void
  typing(room: number): void
  read(room: number, offset: number): void
  watch(users: string[]): void
  setPresence(status: 'online' | 'away'): void
  /** Where the socket is in `room` (the offset a reconnect resumes from). */
  cursorOf(room: number): number | undefined
}

export interface ChatSocketHook {
  state: ChatState
  dispatch: Dispatch<ChatAction>
  actions: ChatActions
}

/** Connect as `user` with `token`. `open` replaces the browser's WebSocket (tests). */
export function useChatSocket(
  user: string,
  token: string,
  open?: (url: string) => SocketLike,
): ChatSocketHook {
  const [state, dispatch] = useReducer(chatReducer, user, initialChatState)
  const socket = useRef<ChatSocket | undefined>(undefined)
  // The pending list is read by `retry`, which must not be rebuilt (and re-rendered) on every change.
  const pending = useRef(state.pending)
  pending.current = state.pending
  const openRef = useRef(open)

  useEffect(() => {
    const s = new ChatSocket({
      socket: acquireLive(token, openRef.current),
      handlers: {
        event: (event) => dispatch({ type: 'event', event }),
        frame: (frame) => dispatch({ type: 'frame', frame, now: Date.now() }),
        state: (st, detail) => dispatch({ type: 'connection', state: st, detail }),
        sent: (cid, _room, offset) => dispatch({ type: 'sent', cid, offset }),
        failed: (cid, _room, message) => dispatch({ type: 'failed', cid, message }),
      },
    })
    socket.current = s
    return () => {
      s.close()
      releaseLive(token)
      socket.current = undefined
    }
  }, [token])

  const actions = useMemo<ChatActions>(
    () => ({
      subscribe: (room, after) => socket.current?.subscribe(room, after),
      unsubscribe: (room) => socket.current?.unsubscribe(room),
      send: (room, body, parent) => {
        const cid = newCid()
        dispatch({ type: 'sending', cid, room, body })
        socket.current?.send(room, body, cid, parent)
      },
      edit: (room, message, body) => socket.current?.edit(room, message, body),
      remove: (room, message) => socket.current?.delete(room, message),
      react: (room, message, emoji, remove) => socket.current?.react(room, message, emoji, remove),
      retry: (cid) => {
        const p = pending.current.find((x) => x.cid === cid)
        if (!p) return
        dispatch({ type: 'retry', cid })
        // The same cid: if the first attempt was stored after all, the server says so instead of storing twice.
        socket.current?.send(p.room, p.body, cid)
      },
      discard: (cid) => dispatch({ type: 'discard', cid }),
      typing: (room) => socket.current?.typing(room),
      read: (room, offset) => {
        dispatch({ type: 'read', room, offset })
        socket.current?.read(room, offset)
      },
      watch: (users) => socket.current?.watch(users),
      setPresence: (status) => socket.current?.setPresence(status),
      cursorOf: (room) => socket.current?.cursorOf(room),
    }),
    [],
  )

  return { state, dispatch, actions }
}
