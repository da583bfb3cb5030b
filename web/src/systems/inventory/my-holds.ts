/**
 * The holds this browser made on a show, kept in localStorage so a reload still knows which held
 * seats are yours (the public map never says whose a hold is), and refreshed from the server once
 * on load (a hold may have been confirmed, released or may have lapsed meanwhile).
 */
import { useCallback, useEffect, useState } from 'react'
import { readStored, writeStored } from '../../ui/storage'
import { getHold, type NewHold } from './api'

export interface MyHold {
  id: string
  seats: string[]
  expiresAt: string
  state: 'active' | 'confirmed' | 'released' | 'expired'
  orderId?: string
  amount?: number
}

const key = (show: string) => `blueprints.inventory.holds.${show}`
/** How many past holds stay listed. */
const KEEP = 10

function load(show: string): MyHold[] {
  try {
    const parsed: unknown = JSON.parse(readStored(key(show)) ?? '[]')
    return Array.isArray(parsed) ? (parsed as MyHold[]) : []
  } catch {
    return []
  }
}

/** Whether `h` still holds its seats at `now` (active and not past its expiry). */
export function isLive(h: MyHold, now: number): boolean {
  return h.state === 'active' && Date.parse(h.expiresAt) > now
}

/** This browser's holds on `show`, newest first, and the ways to change the list. */
export function useMyHolds(show: string) {
  const [holds, setHolds] = useState<MyHold[]>(() => load(show))

  const save = useCallback(
    (update: (list: MyHold[]) => MyHold[]) =>
      setHolds((list) => {
        const next = update(list).slice(0, KEEP)
        writeStored(key(show), JSON.stringify(next))
        return next
      }),
    [show],
  )

  useEffect(() => {
    const list = load(show)
    setHolds(list)
    const ctl = new AbortController()
    for (const h of list.filter((x) => x.state === 'active'))
      getHold(h.id, ctl.signal)
        .then((fresh) =>
          save((all) =>
            all.map((x) =>
              x.id === h.id
                ? { ...x, state: fresh.state as MyHold['state'], orderId: fresh.orderId ?? undefined }
                : x,
            ),
          ),
        )
        .catch(() => {
          // Unknown to the server (another data directory): keep it; its clock still runs out.
        })
    return () => ctl.abort()
  }, [show, save])

  const added = useCallback((h: NewHold) => save((all) => [{ ...h, state: 'active' }, ...all]), [save])
  const changed = useCallback(
    (id: string, patch: Partial<MyHold>) =>
      save((all) => all.map((x) => (x.id === id ? { ...x, ...patch } : x))),
    [save],
  )
  return { holds, added, changed }
}
