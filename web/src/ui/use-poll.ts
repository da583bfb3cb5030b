/**
 * Load something now and again every `ms` while the page is open. The last
 * answer stays on screen when a later poll fails (with the error beside it);
 * `reload` asks at once (after an action, or as the error box's retry).
 * A change of `key` (another filter, another job) starts afresh.
 */
import { useCallback, useEffect, useRef, useState } from 'react'

export interface Poll<T> {
  data: T | undefined
  error: Error | undefined
  reload: () => void
}

/** Poll `load` every `ms`; `key` names what is loaded (undefined: nothing, idle). */
export function usePoll<T>(
  key: string | undefined,
  load: (signal: AbortSignal) => Promise<T>,
  ms: number,
): Poll<T> {
  const [state, setState] = useState<{ key?: string; data?: T; error?: Error }>({})
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  const reload = useCallback(() => setTick((t) => t + 1), [])

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the reload trigger
  useEffect(() => {
    if (key === undefined) return
    const ctl = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      try {
        const data = await loadRef.current(ctl.signal)
        if (!ctl.signal.aborted) setState({ key, data, error: undefined })
      } catch (err) {
        if (!ctl.signal.aborted)
          setState((s) => ({
            key,
            data: s.key === key ? s.data : undefined,
            error: err instanceof Error ? err : new Error(String(err)),
          }))
      }
      if (!ctl.signal.aborted) timer = setTimeout(poll, ms)
    }
    void poll()
    return () => {
      ctl.abort()
      clearTimeout(timer)
    }
  }, [key, ms, tick])

  const current = state.key === key
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, reload }
}
