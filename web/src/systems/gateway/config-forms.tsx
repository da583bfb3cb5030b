/**
 * Editing the configuration through the Admin API: add a service (a URL), a route to it (paths,
 * methods), a plugin on a route, a service or everywhere (its settings as JSON, Kong's fields),
 * or a demo in one click (a service forwarding to this server's /healthz, a route `/demo` to it,
 * correlation-id and a rate limit of 20 a minute on that route), since a fresh gateway is empty.
 * Kong's refusal shows under the form in its own words.
 */
import { type FormEvent, useState } from 'react'
import { Field } from '../../ui/field'
import { createEntity, type GatewayConfig } from './api'

const PLUGIN_EXAMPLES: Record<string, string> = {
  'rate-limiting': '{"minute": 20, "policy": "local"}',
  'correlation-id': '{"header_name": "X-Request-Id", "echo_downstream": true}',
  'key-auth': '{"key_names": ["apikey"]}',
  cors: '{"origins": ["*"]}',
  'ip-restriction': '{"deny": ["203.0.113.0/24"]}',
  'request-size-limiting': '{"allowed_payload_size": 1}',
  jwt: '{}',
  'openid-connect': '{"issuer": "https://issuer.example"}',
}

/** Create the demo: service, route, two plugins; the Admin API refuses a second one by name (409). */
export async function createDemo(workspace: string, origin: string): Promise<void> {
  await createEntity(workspace, 'services', { name: 'console-demo', url: `${origin}/healthz` })
  await createEntity(workspace, 'services/console-demo/routes', { name: 'demo', paths: ['/demo'] })
  await createEntity(workspace, 'routes/demo/plugins', {
    name: 'correlation-id',
    config: { echo_downstream: true },
  })
  await createEntity(workspace, 'routes/demo/plugins', {
    name: 'rate-limiting',
    config: { minute: 20, policy: 'local' },
  })
}

/** The forms; `changed` reloads the configuration. */
export function ConfigForms({ config, changed }: { config: GatewayConfig; changed: () => void }) {
  const [service, setService] = useState({ name: '', url: '' })
  const [route, setRoute] = useState({ service: '', name: '', paths: '', methods: '' })
  const [plugin, setPlugin] = useState({
    name: 'rate-limiting',
    scope: '',
    config: PLUGIN_EXAMPLES['rate-limiting']!,
  })
  const [result, setResult] = useState<{ form: string; ok: boolean; text: string }>()

  const run = (form: string, what: () => Promise<string>) => async (e?: FormEvent) => {
    e?.preventDefault()
    setResult(undefined)
    try {
      setResult({ form, ok: true, text: await what() })
      changed()
    } catch (err) {
      setResult({ form, ok: false, text: err instanceof Error ? err.message : String(err) })
    }
  }
  const said = (form: string) =>
    result?.form === form && (
      <p className={result.ok ? 'success' : 'form-error'} role={result.ok ? 'status' : 'alert'}>
        {result.text}
      </p>
    )
  const list = (s: string) =>
    s
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter(Boolean)
  const available = Object.keys(config.info.plugins.available_on_server)
  const routeService = route.service || config.services[0]?.id || ''

  return (
    <section className="card gateway-forms" aria-labelledby="edit-heading">
      <div className="section-head">
        <h2 id="edit-heading">Edit</h2>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            run('demo', async () => {
              await createDemo(config.workspace, window.location.origin)
              return 'Created service console-demo, route /demo, correlation-id and a limit of 20 a minute.'
            })()
          }
        >
          Create the demo
        </button>
      </div>
      {said('demo')}
      <form
        onSubmit={run('service', async () => {
          const s = await createEntity<{ name: string }>(config.workspace, 'services', {
            ...(service.name.trim() && { name: service.name.trim() }),
            url: service.url.trim(),
          })
          setService({ name: '', url: '' })
          return `Service ${s.name ?? ''} added.`
        })}
      >
        <h3>Add a service</h3>
        <div className="form-inline">
          <Field
            label="Service name"
            value={service.name}
            onChange={(e) => setService({ ...service, name: e.target.value })}
          />
          <Field
            label="Upstream URL"
            placeholder="http://10.0.0.5:8080/api"
            value={service.url}
            onChange={(e) => setService({ ...service, url: e.target.value })}
          />
          <div className="actions">
            <button type="submit" disabled={!service.url.trim()}>
              Add service
            </button>
          </div>
        </div>
        {said('service')}
      </form>
      <form
        onSubmit={run('route', async () => {
          const paths = list(route.paths)
          const methods = list(route.methods).map((m) => m.toUpperCase())
          await createEntity(config.workspace, `services/${encodeURIComponent(routeService)}/routes`, {
            ...(route.name.trim() && { name: route.name.trim() }),
            ...(paths.length > 0 && { paths }),
            ...(methods.length > 0 && { methods }),
          })
          setRoute({ ...route, name: '', paths: '', methods: '' })
          return 'Route added.'
        })}
      >
        <h3>Add a route</h3>
        <div className="form-inline">
          <div className="field">
            <label htmlFor="route-service">Service</label>
            <select
              id="route-service"
              value={routeService}
              onChange={(e) => setRoute({ ...route, service: e.target.value })}
            >
              {config.services.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name ?? s.id}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Route name"
            value={route.name}
            onChange={(e) => setRoute({ ...route, name: e.target.value })}
          />
          <Field
            label="Paths"
            placeholder="/orders, ~/users/\d+"
            value={route.paths}
            onChange={(e) => setRoute({ ...route, paths: e.target.value })}
          />
          <Field
            label="Methods"
            placeholder="GET, POST (any when empty)"
            value={route.methods}
            onChange={(e) => setRoute({ ...route, methods: e.target.value })}
          />
          <div className="actions">
            <button type="submit" disabled={!routeService}>
              Add route
            </button>
          </div>
        </div>
        {said('route')}
      </form>
      <form
        onSubmit={run('plugin', async () => {
          let settings: unknown
          try {
            settings = JSON.parse(plugin.config || '{}')
          } catch {
            throw new Error('The settings are not JSON.')
          }
          const [kind, id] = plugin.scope.split(':')
          const path = kind && id ? `${kind}/${encodeURIComponent(id)}/plugins` : 'plugins'
          await createEntity(config.workspace, path, { name: plugin.name, config: settings })
          return `Plugin ${plugin.name} added.`
        })}
      >
        <h3>Add a plugin</h3>
        <div className="form-inline">
          <div className="field">
            <label htmlFor="plugin-name">Plugin</label>
            <select
              id="plugin-name"
              value={plugin.name}
              onChange={(e) =>
                setPlugin({
                  ...plugin,
                  name: e.target.value,
                  config: PLUGIN_EXAMPLES[e.target.value] ?? '{}',
                })
              }
            >
              {available.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="plugin-scope">Applies to</label>
            <select
              id="plugin-scope"
              value={plugin.scope}
              onChange={(e) => setPlugin({ ...plugin, scope: e.target.value })}
            >
              <option value="">every request (global)</option>
              {config.routes.map((r) => (
                <option key={r.id} value={`routes:${r.id}`}>
                  route {r.name ?? r.id}
                </option>
              ))}
              {config.services.map((s) => (
                <option key={s.id} value={`services:${s.id}`}>
                  service {s.name ?? s.id}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Settings (JSON)"
            value={plugin.config}
            onChange={(e) => setPlugin({ ...plugin, config: e.target.value })}
          />
          <div className="actions">
            <button type="submit">Add plugin</button>
          </div>
        </div>
        {said('plugin')}
      </form>
    </section>
  )
}
