/**
 * Who is signed in: the user name and token from the development issuer,
 * kept in this browser's localStorage so a reload stays signed in (each
 * browser profile is its own user, which is what two people chatting
 * need). An expired token is forgotten rather than sent.
 */
import { useCallback, useState } from 'react'
import { readStored, writeStored } from '../../ui/storage'
import type { Token } from './api'

export interface Session {
  user: string
  token: string
  expiresAt: string
}

const KEY = 'blueprints.chat.session'

/** The stored session, if there is one and it has not expired. */
export function loadSession(now = Date.now()): Session | undefined {
  const raw = readStored(KEY)
  if (!raw) return undefined
  try {
    const s = JSON.parse(raw) as Partial<Session>
    if (typeof s.user !== 'string' || typeof s.token !== 'string' || typeof s.expiresAt !== 'string')
      return undefined
    // A minute's margin: a token about to expire would fail on the next reconnect.
    if (Date.parse(s.expiresAt) - 60_000 <= now) return undefined
    return { user: s.user, token: s.token, expiresAt: s.expiresAt }
  } catch {
    return undefined
  }
}

/** The session and a setter that stores it (undefined signs out). */
export function useSession(): [Session | undefined, (t: Token | undefined) => void] {
  const [session, setState] = useState(loadSession)
  const set = useCallback((t: Token | undefined) => {
    const s = t && { user: t.user, token: t.token, expiresAt: t.expiresAt }
    writeStored(KEY, s ? JSON.stringify(s) : undefined)
    setState(s)
  }, [])
  return [session, set]
}

/** The room a user had open, so a reload shows it again. */
export function storedRoom(user: string): number | undefined {
  const n = Number(readStored(`blueprints.chat.room.${user}`))
  return Number.isInteger(n) && n > 0 ? n : undefined
}

export function storeRoom(user: string, room: number | undefined): void {
  writeStored(`blueprints.chat.room.${user}`, room === undefined ? undefined : String(room))
}
