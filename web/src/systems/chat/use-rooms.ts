/**
 * The signed-in user's rooms: listed over REST every few seconds (the
 * protocol has no per-user channel, so a room someone adds us to shows up at
 * the next poll) and each one subscribed on the socket from the head the
 * list gave, which is what keeps heads, unread counts, receipts and typing
 * live for rooms that are not open.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ChatApi } from './api'
import type { ChatSocketHook } from './use-chat-socket'

export const ROOMS_POLL_MS = 5_000
/**
 * Rooms streamed at once. The server queues at most 256 frames per connection, and each subscribe
 * is one; a person with more rooms still gets the open one streamed (see use-room-history.ts).
 */
export const MAX_SUBSCRIBED = 100

export interface RoomsHook {
  error: Error | undefined
  /** The list has been loaded once (so "no rooms" means none, not "not yet"). */
  ready: boolean
  reload: () => void
}

/** Keep the room list and the subscriptions in step with the server. */
export function useRooms(api: ChatApi, chat: ChatSocketHook, pollMs = ROOMS_POLL_MS): RoomsHook {
  const { dispatch, actions } = chat
  const [error, setError] = useState<Error>()
  const [ready, setReady] = useState(false)
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])
  const known = useRef(new Set<number>())

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the reload trigger
  useEffect(() => {
    const ctl = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = async () => {
      try {
        const rooms = await api.myRooms(ctl.signal)
        if (ctl.signal.aborted) return
        dispatch({ type: 'rooms', rooms })
        const ids = new Set(rooms.map((r) => r.id))
        for (const id of known.current) if (!ids.has(id)) actions.unsubscribe(id)
        known.current = ids
        for (const r of rooms.slice(0, MAX_SUBSCRIBED)) actions.subscribe(r.id, r.head)
        setError(undefined)
        setReady(true)
      } catch (err) {
        if (!ctl.signal.aborted) setError(err instanceof Error ? err : new Error(String(err)))
      }
      if (!ctl.signal.aborted) timer = setTimeout(load, pollMs)
    }
    void load()
    return () => {
      ctl.abort()
      clearTimeout(timer)
    }
  }, [api, dispatch, actions, pollMs, tick])

  return { error, ready, reload }
}
