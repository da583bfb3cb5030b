// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveProvider } from '../../live/live-data'
import { type Handler, healthyServer, json, stubFetch, text } from '../../testing/fake-server'
import GatewayPage from './page'

const system = { name: 'gateway', description: 'API gateway' }
const info = {
  configuration: { proxy_listeners: [{ port: 8000 }], config_version: 3 },
  plugins: { available_on_server: { 'rate-limiting': true, 'correlation-id': true, 'key-auth': true } },
}
const service = {
  id: 's1',
  name: 'orders',
  protocol: 'http',
  host: '10.0.0.5',
  port: 8080,
  path: '/api',
  retries: 5,
  enabled: true,
}
const route = {
  id: 'r1',
  name: 'orders-route',
  service: { id: 's1' },
  methods: ['GET'],
  hosts: null,
  paths: ['/orders'],
  strip_path: true,
}
const plugin = {
  id: 'p1',
  name: 'rate-limiting',
  enabled: true,
  service: null,
  route: { id: 'r1' },
  consumer: null,
  config: { minute: 20, second: null, policy: 'local', redis: { host: null } },
}
const list = (data: unknown[]) => json({ data, next: null })

/** `n` requests to route r1, 10 ms each, `errors` of them 502s. */
function metrics(n: number, errors: number): string {
  const lines = (status: string, count: number) => [
    `gateway_proxy_duration_seconds_bucket{le="0.01",route="r1",service="s1",status="${status}"} ${count}`,
    `gateway_proxy_duration_seconds_bucket{le="+Inf",route="r1",service="s1",status="${status}"} ${count}`,
    `gateway_proxy_duration_seconds_count{route="r1",service="s1",status="${status}"} ${count}`,
  ]
  return [
    ...lines('200', n - errors),
    ...lines('502', errors),
    'gateway_target_healthy{target="pool/10.0.0.7:80"} 0',
  ].join('\n')
}

function server(over: Record<string, Handler> = {}) {
  let scrapes = 0
  return stubFetch({
    ...healthyServer([system]),
    '/metrics': () => {
      scrapes++
      return text(metrics(scrapes * 10, scrapes))
    },
    '/gateway/admin': () => json(info),
    '/gateway/admin/workspaces': () => list([{ id: 'w0', name: 'default' }]),
    '/gateway/admin/services': () => list([service]),
    '/gateway/admin/routes': () => list([route]),
    '/gateway/admin/plugins': () => list([plugin]),
    '/gateway/admin/upstreams': () => list([{ id: 'u1', name: 'pool', algorithm: 'round-robin' }]),
    '/gateway/admin/upstreams/u1/health': () =>
      list([{ id: 't1', target: '10.0.0.7:80', weight: 100, health: 'HEALTHCHECKS_OFF' }]),
    ...over,
  })
}

const renderPage = () =>
  render(
    <LiveProvider pollMs={30}>
      <GatewayPage system={system} />
    </LiveProvider>,
  )

beforeEach(() => localStorage.clear())
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('gateway page', () => {
  it('shows services, routes, plugins and targets as readable tables', async () => {
    server()
    renderPage()
    await waitFor(() => expect(document.querySelector('tr[data-route="orders-route"]')).not.toBeNull())
    expect(document.querySelector('tr[data-service="orders"]')!.textContent).toContain(
      'http://10.0.0.5:8080/api',
    )
    expect(document.querySelector('tr[data-route="orders-route"]')!.textContent).toBe(
      'orders-routeGETany/ordersyesordersDelete',
    )
    const p = document.querySelector('tr[data-plugin="rate-limiting"]')!
    expect(p.textContent).toContain('route orders-route')
    expect(p.textContent).toContain('minute: 20, policy: local')
    // The target's health: the API says checks are off, the metric says it is out of rotation.
    await waitFor(() =>
      expect(document.querySelector('tr[data-target="10.0.0.7:80"]')!.textContent).toContain('unhealthy'),
    )
  })

  it("reads another workspace's configuration under its prefix", async () => {
    server({
      '/gateway/admin/workspaces': () =>
        list([
          { id: 'w0', name: 'default' },
          { id: 'w1', name: 'team-a' },
        ]),
      '/gateway/admin/team-a/services': () => list([{ ...service, id: 's9', name: 'billing' }]),
      '/gateway/admin/team-a/routes': () => list([]),
      '/gateway/admin/team-a/plugins': () => list([]),
      '/gateway/admin/team-a/upstreams': () => list([]),
    })
    renderPage()
    fireEvent.change(await screen.findByLabelText('Workspace'), { target: { value: 'team-a' } })
    await waitFor(() => expect(document.querySelector('tr[data-service="billing"]')).not.toBeNull())
    expect(document.querySelector('tr[data-service="orders"]')).toBeNull()
    expect(localStorage.getItem('blueprints.gateway.workspace')).toBe('team-a')
  })

  it('shows live rates per route from the scraped metrics', async () => {
    server()
    renderPage()
    await waitFor(() => expect(document.querySelector('tr[data-route-rate="orders-route"]')).not.toBeNull())
    const cells = within(
      document.querySelector<HTMLElement>('tr[data-route-rate="orders-route"]')!,
    ).getAllByRole('cell')
    expect(cells[1]!.textContent).toBe('orders')
    expect(Number.parseFloat(cells[2]!.textContent!)).toBeGreaterThan(0)
    expect(Number.parseFloat(cells[4]!.textContent!)).toBeGreaterThan(0)
    expect(cells[5]!.textContent).not.toBe('—')
  })

  it('creates the demo through the Admin API, and shows a refusal in Kong’s words', async () => {
    const posts: [string, unknown][] = []
    const record: Handler = (init, url) => {
      if (init?.method === 'POST') {
        if (String(init.body).includes('"url":"nope"'))
          return json(
            {
              code: 2,
              name: 'schema violation',
              message: 'schema violation (url: missing host in url)',
              fields: { url: 'missing host in url' },
            },
            400,
          )
        posts.push([url, JSON.parse(String(init.body))])
        return json({ id: 'x', name: 'x' }, 201)
      }
      return list([])
    }
    server({
      '/gateway/admin/services': record,
      '/gateway/admin/routes': () => list([]),
      '/gateway/admin/plugins': () => list([]),
      '/gateway/admin/upstreams': () => list([]),
      '/gateway/admin/services/console-demo/routes': record,
      '/gateway/admin/routes/demo/plugins': record,
      '/gateway/admin/routes/r9/plugins': () =>
        json(
          {
            code: 2,
            name: 'schema violation',
            message: 'schema violation (config.minute: expected a number)',
            fields: { config: { minute: 'expected a number' } },
          },
          400,
        ),
    })
    renderPage()
    fireEvent.click(await screen.findByRole('button', { name: 'Create the demo' }))
    await waitFor(() => expect(posts).toHaveLength(4))
    expect(posts[0]).toEqual([
      '/gateway/admin/services',
      { name: 'console-demo', url: `${window.location.origin}/healthz` },
    ])
    expect(posts[1]).toEqual([
      '/gateway/admin/services/console-demo/routes',
      { name: 'demo', paths: ['/demo'] },
    ])
    expect(posts.slice(2).map((p) => (p[1] as { name: string }).name)).toEqual([
      'correlation-id',
      'rate-limiting',
    ])
    expect(screen.getByRole('status').textContent).toContain('Created service console-demo')
    fireEvent.change(screen.getByLabelText('Upstream URL'), { target: { value: 'nope' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add service' }))
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('schema violation (url: missing host in url)'),
    )
    expect(posts).toHaveLength(4)
  })
})
