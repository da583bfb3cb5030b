/**
 * The console's live view of the server, shared by every page so that the
 * charts keep their history while a person moves between pages: the list
 * of systems (once), and every POLL_MS `/readyz` and `/metrics`. A failed
 * poll is kept as `down` (the shell shows a banner with a retry button)
 * and polling goes on, so the console recovers by itself when the server
 * comes back.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react'
import { ApiError, requestText } from '../api/http'
import { parsePrometheus, type Sample } from '../metrics/prometheus'
import { MetricsHistory } from './metrics-history'
import { fetchReadiness, type Readiness } from './readiness'
import { fetchSystems, type SystemInfo } from './systems'

export const POLL_MS = 2_000

export interface LiveData {
  /** Running systems; undefined until the first answer. */
  systems: SystemInfo[] | undefined
  readiness: Readiness | undefined
  history: MetricsHistory
  /** The newest scrape, for pages that chart a system's own metrics. */
  samples: readonly Sample[]
  /** False when the server does not serve /metrics (METRICS_ENABLED=false). */
  metricsEnabled: boolean
  /** The last poll's failure, cleared by the next success. */
  error: ApiError | undefined
  /** Time of the last successful poll (ms). */
  updatedAt: number | undefined
  /** Poll now (and fetch the systems again if that had failed). */
  retry: () => void
}

const LiveContext = createContext<LiveData | undefined>(undefined)

/** The live data of the enclosing LiveProvider. */
export function useLive(): LiveData {
  const live = useContext(LiveContext)
  if (!live) throw new Error('useLive() outside <LiveProvider>')
  return live
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('network', (err as Error)?.message ?? String(err))
}

/** Poll the server and provide what it says to the pages below. */
export function LiveProvider({ children, pollMs = POLL_MS }: { children: ReactNode; pollMs?: number }) {
  const history = useRef(new MetricsHistory()).current
  const [state, setState] = useState<Omit<LiveData, 'history' | 'retry'>>({
    systems: undefined,
    readiness: undefined,
    samples: [],
    metricsEnabled: true,
    error: undefined,
    updatedAt: undefined,
  })
  const [tick, setTick] = useState(0)
  const systemsRef = useRef<SystemInfo[] | undefined>(undefined)

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` restarts the loop on retry
  useEffect(() => {
    const abort = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      try {
        systemsRef.current ??= await fetchSystems(abort.signal)
        const [readiness, metrics] = await Promise.all([
          fetchReadiness(abort.signal),
          requestText('/metrics', abort.signal).then(
            (text) => ({ enabled: true, samples: parsePrometheus(text) }),
            (err: unknown) => {
              if (err instanceof ApiError && err.status === 404) return { enabled: false, samples: [] }
              throw err
            },
          ),
        ])
        if (abort.signal.aborted) return
        const now = Date.now()
        history.push(
          metrics.samples,
          now,
          systemsRef.current.map((s) => s.name),
        )
        setState({
          systems: systemsRef.current,
          readiness,
          samples: metrics.samples,
          metricsEnabled: metrics.enabled,
          error: undefined,
          updatedAt: now,
        })
      } catch (err) {
        if (abort.signal.aborted) return
        setState((s) => ({ ...s, error: toApiError(err) }))
      }
      if (!abort.signal.aborted) timer = setTimeout(poll, pollMs)
    }
    void poll()
    return () => {
      abort.abort()
      clearTimeout(timer)
    }
  }, [tick, pollMs, history])

  const retry = useCallback(() => setTick((t) => t + 1), [])
  return <LiveContext.Provider value={{ ...state, history, retry }}>{children}</LiveContext.Provider>
}
