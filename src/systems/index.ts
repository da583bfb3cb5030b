/**
 * The registry: every system of Blueprints, in one list. Adding a system is
 * a folder under `src/systems/` and one line here.
 */
import type { SystemDefinition } from '../platform/system.js'
import auth from './auth/index.js'
import board from './board/index.js'
import chat from './chat/index.js'
import gateway from './gateway/index.js'
import inventory from './inventory/index.js'
import jobs from './jobs/index.js'
import notifications from './notifications/index.js'
import payments from './payments/index.js'
import rateLimiter from './rate-limiter/index.js'
import urlShortener from './url-shortener/index.js'

// biome-ignore lint/suspicious/noExplicitAny: each system has its own settings type
export const systems: SystemDefinition<any>[] = [
  urlShortener,
  rateLimiter,
  jobs,
  chat,
  auth,
  inventory,
  payments,
  gateway,
  notifications,
  board,
]
