/** Small browser facts the chat reacts to: whether the tab is hidden, and a clock for expiring indicators. */
import { useEffect, useState } from 'react'

/** True while the tab is hidden (another tab, a minimised window): we are "away" and read nothing. */
export function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(() => document.visibilityState === 'hidden')
  useEffect(() => {
    const change = () => setHidden(document.visibilityState === 'hidden')
    document.addEventListener('visibilitychange', change)
    return () => document.removeEventListener('visibilitychange', change)
  }, [])
  return hidden
}

/** The time, refreshed every `ms` while `active` (typing indicators expire on their own). */
export function useNow(active: boolean, ms = 1_000): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    if (!active) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(timer)
  }, [active, ms])
  return now
}
