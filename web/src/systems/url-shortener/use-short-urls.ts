/**
 * The page's data: the newest short URLs and the visits of the selected one
 * (or of all), reloaded on demand and every REFRESH_MS while the page is
 * open, since visits arrive from outside (someone following a link).
 */
import { useCallback, useEffect, useState } from 'react'
import { ApiError } from '../../api/http'
import { type ShortUrl, shlinkApi, type Visit } from './api'

export const REFRESH_MS = 5_000

export interface ShortUrlsState {
  links: ShortUrl[] | undefined
  totalLinks: number
  visits: Visit[] | undefined
  totalVisits: number
  error: ApiError | undefined
  reload: () => void
}

/** Load and keep loading the page's data for `apiKey`, with visits of `selected` (or all). */
export function useShortUrls(apiKey: string, selected: string | undefined): ShortUrlsState {
  const [state, setState] = useState<Omit<ShortUrlsState, 'reload'>>({
    links: undefined,
    totalLinks: 0,
    visits: undefined,
    totalVisits: 0,
    error: undefined,
  })
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the reload trigger
  useEffect(() => {
    if (!apiKey) return
    let live = true
    const api = shlinkApi(apiKey)
    const load = async () => {
      try {
        const [links, visits] = await Promise.all([api.list(), api.visits(selected)])
        if (live)
          setState({
            links: links.items,
            totalLinks: links.total,
            visits: visits.items,
            totalVisits: visits.total,
            error: undefined,
          })
      } catch (err) {
        if (live)
          setState((s) => ({
            ...s,
            error: err instanceof ApiError ? err : new ApiError('network', String(err)),
          }))
      }
    }
    void load()
    const timer = setInterval(load, REFRESH_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [apiKey, selected, tick])

  return { ...state, reload }
}
