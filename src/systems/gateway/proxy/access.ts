/**
 * The plugins' access phase, shared by plain requests and upgrades (WebSocket): Kong's priority
 * order, each plugin's most specific configuration for the route, service and consumer known so far.
 */
import type { Logger } from '../../../platform/telemetry/logger.js'
import type { Exit, PluginInstance, RequestState } from '../plugins/types.js'
import type { WorkspaceParts } from './snapshot.js'

export interface AccessResult {
  /** The plugins that ran (their response hooks run on the answer). */
  ran: PluginInstance[]
  /** Set when a plugin ended the request; `error` when one threw (a 500). */
  exit?: Exit | 'error'
}

export async function runAccess(ws: WorkspaceParts, st: RequestState, log: Logger): Promise<AccessResult> {
  const ran: PluginInstance[] = []
  for (const name of ws.plugins.names) {
    const p = ws.plugins.resolve(name, st.route.id, st.service?.id, st.consumer?.id)
    if (!p) continue
    ran.push(p)
    try {
      const exit = p.access ? await p.access(st) : undefined
      if (exit) return { ran, exit }
    } catch (err) {
      log.error({ err, plugin: name }, 'plugin failed')
      return { ran, exit: 'error' }
    }
  }
  return { ran }
}
