/**
 * Each system's own page, by system name: one folder per system under
 * web/src/systems/ (mirroring src/systems/), and one line here. Pages load
 * on demand, so a system's page costs nothing until someone opens it.
 * See web/README.md for how to add one.
 */
import { type ComponentType, type LazyExoticComponent, lazy } from 'react'
import type { SystemInfo } from '../live/systems'

export interface SystemPageProps {
  system: SystemInfo
}

export const systemPages: Record<string, LazyExoticComponent<ComponentType<SystemPageProps>>> = {
  'url-shortener': lazy(() => import('./url-shortener/page')),
  'rate-limiter': lazy(() => import('./rate-limiter/page')),
  jobs: lazy(() => import('./jobs/page')),
  chat: lazy(() => import('./chat/page')),
  inventory: lazy(() => import('./inventory/page')),
  payments: lazy(() => import('./payments/page')),
  gateway: lazy(() => import('./gateway/page')),
}
