/**
 * The configuration as readable tables: services (where they forward), routes (what they match,
 * and to which service), plugins (where each applies, its main settings, on or off), upstreams
 * with each target's health. Rows can be deleted and plugins switched; the Admin API refuses what
 * would break the configuration (a service still used by a route) in Kong's words.
 */
import { useState } from 'react'
import { deleteEntity, type GatewayConfig, type Plugin, setPluginEnabled } from './api'

/** `id`'s name in `list`, else a short id. */
function nameOf(list: { id: string; name: string | null }[], id: string | undefined): string {
  if (!id) return '—'
  return list.find((x) => x.id === id)?.name ?? id.slice(0, 8)
}

/** A plugin's settings that are set, as `key: value` (nulls and Kong's long defaults left out). */
export function summarizeConfig(config: Record<string, unknown>): string {
  return Object.entries(config)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .slice(0, 6)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ')
}

/** Where a plugin applies. */
function scopeOf(p: Plugin, cfg: GatewayConfig): string {
  const parts = [
    p.route && `route ${nameOf(cfg.routes, p.route.id)}`,
    p.service && `service ${nameOf(cfg.services, p.service.id)}`,
    p.consumer && `consumer ${p.consumer.id.slice(0, 8)}`,
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(' + ') : 'global'
}

function Table({ label, heads, children }: { label: string; heads: string[]; children: React.ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-wrap" aria-label={label} tabIndex={0}>
      <table className="stack-on-phone">
        <caption className="sr-only">{label}</caption>
        <thead>
          <tr>
            {heads.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </section>
  )
}

/** The tables; `changed` reloads the configuration after an edit. */
export function ConfigTables({
  config,
  health,
  changed,
}: {
  config: GatewayConfig
  health: Map<string, boolean>
  changed: () => void
}) {
  const [error, setError] = useState<string>()
  const run = async (what: () => Promise<unknown>) => {
    setError(undefined)
    try {
      await what()
      changed()
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    }
  }
  const remove = (kind: string, id: string, name: string) => (
    <button
      type="button"
      className="small secondary"
      aria-label={`Delete ${name}`}
      onClick={() => run(() => deleteEntity(config.workspace, kind, id))}
    >
      Delete
    </button>
  )
  const { services, routes, plugins, upstreams } = config
  return (
    <section className="card" aria-labelledby="config-heading">
      <h2 id="config-heading">Configuration</h2>
      <p className="muted">
        Version {config.info.configuration.config_version}: {services.length} services, {routes.length}{' '}
        routes, {plugins.length} plugins, {upstreams.length} upstreams.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <h3>Services</h3>
      {services.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <Table label="Services" heads={['name', 'forwards to', 'retries', 'enabled', '']}>
          {services.map((s) => (
            <tr key={s.id} data-service={s.name ?? s.id}>
              <td>{s.name ?? s.id}</td>
              <td className="long-url">
                {s.protocol}://{s.host}:{s.port}
                {s.path ?? ''}
              </td>
              <td className="num" data-label="retries">
                {s.retries}
              </td>
              <td data-label="enabled">{s.enabled ? 'yes' : 'no'}</td>
              <td>{remove('services', s.id, `service ${s.name ?? s.id}`)}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Routes</h3>
      {routes.length === 0 ? (
        <p className="muted">None yet: without a route every proxied request is a 404.</p>
      ) : (
        <Table label="Routes" heads={['name', 'methods', 'hosts', 'paths', 'strip path', 'service', '']}>
          {routes.map((r) => (
            <tr key={r.id} data-route={r.name ?? r.id}>
              <td>{r.name ?? r.id}</td>
              <td data-label="methods">{r.methods?.join(', ') ?? 'any'}</td>
              <td data-label="hosts">{r.hosts?.join(', ') ?? 'any'}</td>
              <td className="long-url" data-label="paths">
                {r.paths?.join(', ') ?? 'any'}
              </td>
              <td data-label="strip path">{r.strip_path ? 'yes' : 'no'}</td>
              <td data-label="service">{nameOf(services, r.service?.id)}</td>
              <td>{remove('routes', r.id, `route ${r.name ?? r.id}`)}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Plugins</h3>
      {plugins.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <Table label="Plugins" heads={['plugin', 'applies to', 'settings', 'enabled', '']}>
          {plugins.map((p) => (
            <tr key={p.id} data-plugin={p.name}>
              <td>{p.name}</td>
              <td data-label="applies to">{scopeOf(p, config)}</td>
              <td className="long-url" data-label="settings">
                {summarizeConfig(p.config) || 'defaults'}
              </td>
              <td>
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={p.enabled}
                    aria-label={`${p.name} on ${scopeOf(p, config)} enabled`}
                    onChange={(e) => run(() => setPluginEnabled(config.workspace, p.id, e.target.checked))}
                  />
                  {p.enabled ? 'on' : 'off'}
                </label>
              </td>
              <td>{remove('plugins', p.id, `plugin ${p.name}`)}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Upstreams and target health</h3>
      {upstreams.length === 0 && health.size === 0 ? (
        <p className="muted">None: each service forwards to its own host and port.</p>
      ) : (
        <Table label="Targets" heads={['upstream', 'algorithm', 'target', 'weight', 'health']}>
          {upstreams.flatMap((u) =>
            (u.targets.length > 0 ? u.targets : [undefined]).map((t) => (
              <tr key={`${u.id}-${t?.id ?? 'none'}`} data-target={t?.target}>
                <td>{u.name}</td>
                <td>{u.algorithm}</td>
                <td>{t?.target ?? 'no targets'}</td>
                <td className="num">{t?.weight ?? '—'}</td>
                <td>
                  {t && (
                    <span
                      className={`health health-${healthWord(t.health, health.get(`${u.name}/${t.target}`))}`}
                    >
                      {healthWord(t.health, health.get(`${u.name}/${t.target}`))}
                    </span>
                  )}
                </td>
              </tr>
            )),
          )}
          {[...health]
            .filter(([key]) => key.startsWith('direct/'))
            .map(([key, ok]) => (
              <tr key={key} data-target={key.slice('direct/'.length)}>
                <td>(none: a service's own host)</td>
                <td>—</td>
                <td>{key.slice('direct/'.length)}</td>
                <td className="num">—</td>
                <td>
                  <span className={`health health-${ok ? 'healthy' : 'unhealthy'}`}>
                    {ok ? 'healthy' : 'unhealthy'}
                  </span>
                </td>
              </tr>
            ))}
        </Table>
      )}
    </section>
  )
}

/** Kong's health word, or the metric's when the API says nothing (HEALTHCHECKS_OFF). */
function healthWord(api: string, metric: boolean | undefined): string {
  const a = api.toLowerCase()
  if (a === 'healthy' || a === 'unhealthy') return a
  if (metric === undefined) return a.replace(/_/g, ' ')
  return metric ? 'healthy' : 'unhealthy'
}
