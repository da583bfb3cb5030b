/**
 * The open room's past, over REST: the newest page when it opens, older
 * pages on demand (the cursor is the oldest offset we have: `before`), its
 * members with their read receipts (again after every join or leave), and
 * enough older pages to reach a message a search hit points at.
 *
 * The newest page is asked for only once the room is in the room list,
 * which subscribed it from the list's head: the page is read later, so its
 * head is at or past where the socket's stream starts, and between the two
 * nothing can fall through.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ChatApi } from './api'
import { oldestOffset } from './timeline'
import type { ChatSocketHook } from './use-chat-socket'

/** Pages a jump to a search hit may load before it gives up (50 messages each). */
export const MAX_JUMP_PAGES = 20

export interface RoomHistory {
  error: Error | undefined
  loadingOlder: boolean
  loadOlder: () => void
  retry: () => void
}

export function useRoomHistory(
  api: ChatApi,
  chat: ChatSocketHook,
  room: number | undefined,
  /** A message to bring on screen (a search hit), if any. */
  target: number | undefined,
): RoomHistory {
  const { dispatch, actions, state } = chat
  const r = room === undefined ? undefined : state.rooms[room]
  const [error, setError] = useState<Error>()
  const [loadingOlder, setLoadingOlder] = useState(false)
  const [tick, setTick] = useState(0)
  const retry = useCallback(() => setTick((t) => t + 1), [])
  const listed = r !== undefined
  const loaded = r?.timeline.loaded ?? false
  const stateRef = useRef(state)
  stateRef.current = state

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the retry trigger
  useEffect(() => {
    if (room === undefined || !listed || loaded) return
    const ctl = new AbortController()
    setError(undefined)
    api
      .history(room, undefined, ctl.signal)
      .then((page) => {
        dispatch({ type: 'page', room, page, older: false })
        // Rooms past the subscription cap are streamed from here; a streaming room ignores this.
        actions.subscribe(room, page.head)
      })
      .catch((err: Error) => {
        if (!ctl.signal.aborted) setError(err)
      })
    return () => ctl.abort()
  }, [api, dispatch, actions, room, listed, loaded, tick])

  const membersVersion = r?.membersVersion
  // biome-ignore lint/correctness/useExhaustiveDependencies: `membersVersion` says the list changed
  useEffect(() => {
    if (room === undefined || !listed) return
    const ctl = new AbortController()
    api
      .members(room, ctl.signal)
      .then((members) => dispatch({ type: 'members', room, members }))
      .catch((err: Error) => {
        if (!ctl.signal.aborted) setError(err)
      })
    return () => ctl.abort()
  }, [api, dispatch, room, listed, membersVersion, tick])

  const busy = useRef(false)
  const loadOlder = useCallback(() => {
    if (room === undefined || busy.current) return
    const t = stateRef.current.rooms[room]?.timeline
    if (!t?.loaded || !t.hasOlder) return
    busy.current = true
    setLoadingOlder(true)
    api
      .history(room, oldestOffset(t))
      .then((page) => dispatch({ type: 'page', room, page, older: true }))
      .catch((err: Error) => setError(err))
      .finally(() => {
        busy.current = false
        setLoadingOlder(false)
      })
  }, [api, dispatch, room])

  // A search hit older than what is loaded: page back until it is on screen (or give up).
  const jumpKey = `${room}:${target}`
  const jumps = useRef({ key: jumpKey, pages: 0 })
  if (jumps.current.key !== jumpKey) jumps.current = { key: jumpKey, pages: 0 }
  const oldest = r ? oldestOffset(r.timeline) : undefined
  const hasOlder = r?.timeline.hasOlder ?? false
  useEffect(() => {
    if (target === undefined || !loaded || loadingOlder || !hasOlder) return
    if (oldest !== undefined && oldest <= target) return
    if (jumps.current.pages++ >= MAX_JUMP_PAGES) return
    loadOlder()
  }, [target, loaded, loadingOlder, hasOlder, oldest, loadOlder])

  return { error, loadingOlder, loadOlder, retry }
}
