/**
 * The scaled mode's manifests and image, checked without a cluster or a Docker
 * engine: every Kubernetes object validates against its API schema
 * (kubernetes-models), the objects refer to each other correctly, every
 * variable they set is one the process reads and parses, and the Dockerfile
 * keeps the rules a container needs (a writable DATA_DIR, a supported Node).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { loadConfig, platformSettings } from '../src/platform/config.js'
import { engineSettings } from '../src/platform/jobs/settings.js'
import { liveSettings } from '../src/platform/live/settings.js'
import { parseSettings } from '../src/platform/settings.js'
import { systems } from '../src/systems/index.js'

const root = new URL('../', import.meta.url)

interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string }
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any
  data?: Record<string, string>
  stringData?: Record<string, string>
}

function manifests(): { file: string; obj: K8sObject }[] {
  const dir = new URL('deploy/', root)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`)
        return { file, obj: doc.toJS() as K8sObject }
      }),
    )
}

/** The model class of an object's apiVersion and kind, e.g. `apps/v1` + `Deployment`. */
async function modelOf(obj: K8sObject): Promise<(new (o: unknown) => { validate(): void }) | undefined> {
  const group = await import(/* @vite-ignore */ `kubernetes-models/${obj.apiVersion}`).catch(() => undefined)
  return group?.[obj.kind]
}

const objects = manifests()
const byKind = (kind: string) => objects.map((o) => o.obj).filter((o) => o.kind === kind)
const deployments = byKind('Deployment')

/** Whether `selector` (label -> value) selects an object labelled `labels`. */
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

describe('deploy/ manifests', () => {
  it('has the objects the README names', () => {
    expect(objects.length).toBeGreaterThan(0)
    expect(deployments.length).toBeGreaterThan(0)
  })

  it.each(objects.map((o) => [`${o.file}: ${o.obj.kind} ${o.obj.metadata?.name}`, o.obj]))(
    '%s validates against its Kubernetes schema',
    async (_name, obj) => {
      const Model = await modelOf(obj)
      expect(Model, `no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined()
      expect(() => new (Model as NonNullable<typeof Model>)(obj).validate()).not.toThrow()
    },
  )

  it('rejects a manifest with a wrong type (the validator can fail)', async () => {
    const broken = structuredClone(deployments[0]) as K8sObject
    broken.spec.replicas = 'three'
    const Model = await modelOf(broken)
    expect(() => new (Model as NonNullable<typeof Model>)(broken).validate()).toThrow(/replicas/)
  })

  it('wires selectors, ports, targets and references together', () => {
    const names = (kind: string) => new Set(byKind(kind).map((o) => o.metadata.name))
    for (const d of deployments) {
      const tpl = d.spec.template
      expect(selects(d.spec.selector.matchLabels, tpl.metadata.labels), `${d.metadata.name} selector`).toBe(
        true,
      )
      for (const c of tpl.spec.containers)
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect(names('ConfigMap')).toContain(from.configMapRef.name)
          if (from.secretRef) expect(names('Secret')).toContain(from.secretRef.name)
        }
    }
    for (const svc of byKind('Service')) {
      const target = deployments.find((d) => selects(svc.spec.selector, d.spec.template.metadata.labels))
      expect(target, `Service ${svc.metadata.name} selects no Deployment`).toBeDefined()
      const portNames = target?.spec.template.spec.containers.flatMap((c: { ports?: { name: string }[] }) =>
        (c.ports ?? []).map((p) => p.name),
      )
      for (const p of svc.spec.ports)
        if (typeof p.targetPort === 'string') expect(portNames).toContain(p.targetPort)
    }
    for (const o of byKind('HorizontalPodAutoscaler'))
      expect(names(o.spec.scaleTargetRef.kind)).toContain(o.spec.scaleTargetRef.name)
    for (const pdb of byKind('PodDisruptionBudget'))
      expect(
        deployments.some((d) => selects(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels)),
      ).toBe(true)
  })

  it('sets only variables the process reads, with values it accepts, PUBLIC_URL included', () => {
    const env: Record<string, string> = {}
    for (const cm of byKind('ConfigMap')) Object.assign(env, cm.data)
    for (const s of byKind('Secret')) Object.assign(env, s.stringData)
    for (const d of deployments)
      for (const c of d.spec.template.spec.containers)
        for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value

    const known = new Set([
      ...Object.keys(platformSettings),
      // The platform libraries' own variables (live streams, the job engine), read by every process.
      ...Object.keys(liveSettings),
      ...Object.keys(engineSettings),
      ...systems.flatMap((s) => Object.keys(s.settings ?? {})),
      'NODE_ENV',
    ])
    const unknown = Object.keys(env).filter((k) => !known.has(k) && !k.startsWith('OTEL_'))
    expect(unknown, 'variables no part of the process reads').toEqual([])

    const config = loadConfig(env)
    for (const s of systems) parseSettings(s.settings ?? {}, env)
    // Links handed out by pods must not point at their loopback address.
    expect(config.publicUrl).toMatch(/^https?:\/\/[^/]+/)
    expect(config.publicUrl).not.toMatch(/127\.0\.0\.1|localhost|0\.0\.0\.0/)
  })

  it("never sets the rate limiter's instance floor above the fewest replicas that run", () => {
    // RATE_LIMITER_INSTANCES is the floor of the live count: above the real count, every replica's
    // insurance limiter would admit less than its share during a Redis outage.
    const env: Record<string, string> = {}
    for (const cm of byKind('ConfigMap')) Object.assign(env, cm.data)
    const floor = Number(env.RATE_LIMITER_INSTANCES ?? 1)
    for (const d of deployments) {
      const hpa = byKind('HorizontalPodAutoscaler').find(
        (o) => o.spec.scaleTargetRef.name === d.metadata.name,
      )
      const fewest = Math.min(d.spec.replicas ?? 1, hpa?.spec.minReplicas ?? Number.POSITIVE_INFINITY)
      expect(floor, `${d.metadata.name} runs as few as ${fewest}`).toBeLessThanOrEqual(fewest)
    }
  })
})

describe('Dockerfile', () => {
  const lines = readFileSync(new URL('Dockerfile', root), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l))

  it('runs unprivileged with a DATA_DIR that user owns', () => {
    const user = at(/^USER\s+node$/)
    expect(user).toBeGreaterThan(-1)
    const dataDir = /DATA_DIR=(\S+)/.exec(lines.find((l) => /^ENV\b.*DATA_DIR=/.test(l)) ?? '')?.[1]
    expect(dataDir).toBeDefined()
    const chown = at(new RegExp(`chown\\s+(-R\\s+)?node(:node)?\\s+${dataDir}\\b`))
    expect(chown, `the image must chown ${dataDir} to node`).toBeGreaterThan(-1)
    expect(chown).toBeLessThan(user)
  })

  it('builds on a Node line the README supports', () => {
    const from = /^FROM\s+node:(\d+)/.exec(lines.find((l) => l.startsWith('FROM')) ?? '')?.[1]
    const readme = readFileSync(new URL('README.md', root), 'utf8')
    const supported = /Supported Node\.js: the LTS\s+lines ([\d, and]+)/.exec(readme)?.[1] ?? ''
    expect(Number(from)).toBeGreaterThanOrEqual(22)
    expect(supported.match(/\d+/g)).toContain(from)
  })
})
