/**
 * The gateway's page: the configuration as readable tables (services, routes, plugins, upstreams
 * with target health) that can be edited through the Admin API, and live traffic per route from
 * the metrics the gateway exports, one workspace at a time. Kong-shaped Admin API, public routes only
 * (src/systems/gateway/README.md).
 */
import { useState } from 'react'
import { useLive } from '../../live/live-data'
import { ErrorBox } from '../../ui/error-box'
import { SecretForm } from '../../ui/secret-form'
import { readStored, writeStored } from '../../ui/storage'
import { usePoll } from '../../ui/use-poll'
import type { SystemPageProps } from '../registry'
import { listWorkspaces, readConfig, TOKEN_STORAGE } from './api'
import { ConfigForms } from './config-forms'
import { ConfigTables } from './config-tables'
import { LiveRoutes } from './live-routes'
import { targetHealth } from './route-metrics'
import './gateway.css'

const WORKSPACE_STORAGE = 'blueprints.gateway.workspace'

/** The page. */
export default function GatewayPage(_props: SystemPageProps) {
  const [token, setToken] = useState(() => readStored(TOKEN_STORAGE) ?? '')
  const [chosen, setChosen] = useState(() => readStored(WORKSPACE_STORAGE) ?? 'default')
  const workspaces = usePoll(`workspaces:${token}`, listWorkspaces, 10_000)
  const names = workspaces.data ?? [chosen]
  // A workspace deleted meanwhile (or not this token's) falls back to the first one listed.
  const workspace = names.includes(chosen) ? chosen : (names[0] ?? 'default')
  const config = usePoll(`config:${token}:${workspace}`, (signal) => readConfig(workspace, signal), 5_000)
  const { samples } = useLive()
  const refused = config.error && 'status' in config.error && config.error.status === 401
  const save = (t: string) => {
    writeStored(TOKEN_STORAGE, t.trim() || undefined)
    setToken(t.trim())
  }
  return (
    <div className="stack gateway-page">
      {(refused || token) && (
        <SecretForm
          noun="Admin token"
          value={token}
          onSave={save}
          error={refused ? config.error?.message : undefined}
          placeholder="GATEWAY_ADMIN_TOKEN"
          hint="The server sets GATEWAY_ADMIN_TOKEN: the Admin API wants it as a bearer token."
        />
      )}
      {names.length > 1 && (
        <div className="card form-inline">
          <div className="field">
            <label htmlFor="gateway-workspace">Workspace</label>
            <select
              id="gateway-workspace"
              value={workspace}
              onChange={(e) => {
                setChosen(e.target.value)
                writeStored(WORKSPACE_STORAGE, e.target.value)
              }}
            >
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <p className="hint">Each workspace has its own services, routes, plugins and traffic.</p>
        </div>
      )}
      {config.error && !refused && (
        <ErrorBox title="The gateway's configuration could not be read" onRetry={config.reload}>
          {config.error.message}
        </ErrorBox>
      )}
      <LiveRoutes key={workspace} config={config.data} workspace={workspace} />
      {config.data && (
        <ConfigTables config={config.data} health={targetHealth(samples)} changed={config.reload} />
      )}
      {config.data && <ConfigForms config={config.data} changed={config.reload} />}
    </div>
  )
}
