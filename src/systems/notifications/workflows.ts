/**
 * Workflows: what a trigger runs, step by step, for each subscriber it reaches. A step sends on
 * a channel (its templates), waits (`delay`), collects events for a window (`digest`), or
 * decides whether the subscriber's run goes on (`branch`: on a preference, or on whether an
 * earlier in-app step was read). Checked whole when written, so a run never meets a bad step.
 */
import type { Queryable } from '../../platform/db/port.js'
import { NotificationErrors } from './errors.js'
import { parseTemplate, TemplateError } from './template.js'

export const CHANNELS = ['email', 'in_app', 'webhook', 'push'] as const
export type Channel = (typeof CHANNELS)[number]

export interface ChannelStep {
  channel: Channel
  subject?: string
  body: string
}
export interface WaitStep {
  type: 'delay' | 'digest'
  ms: number
}
/** Goes on only when its condition holds; otherwise the subscriber's run ends here. */
export interface BranchStep {
  type: 'branch'
  if: { read: number } | { unread: number } | { enabled: Channel }
}
export type Step = ChannelStep | WaitStep | BranchStep

export interface Workflow {
  id: string
  name: string | null
  steps: Step[]
  critical: boolean
  defaults: Partial<Record<Channel, boolean>>
  updatedAt: string
}

export const isChannelStep = (s: Step): s is ChannelStep => 'channel' in s

/** Check each step's shape and templates; throws a 422 naming the first bad field. */
export function validateSteps(steps: Step[]): void {
  if (steps.length === 0) throw NotificationErrors.invalidWorkflow('steps', 'must have at least one step')
  let digests = 0
  steps.forEach((s, i) => {
    const at = `steps[${i}]`
    if (isChannelStep(s)) {
      for (const field of ['subject', 'body'] as const) {
        const t = s[field]
        if (t === undefined) continue
        try {
          parseTemplate(t)
        } catch (err) {
          if (err instanceof TemplateError) throw NotificationErrors.template(`${at}.${field}`, err.message)
          throw err
        }
      }
      if (s.channel === 'email' && s.subject === undefined)
        throw NotificationErrors.invalidWorkflow(`${at}.subject`, 'is required for email')
    } else if (s.type === 'branch') {
      const c = s.if
      const ref = 'read' in c ? c.read : 'unread' in c ? c.unread : undefined
      if (ref !== undefined) {
        const target = steps[ref]
        if (ref >= i || !target || !isChannelStep(target) || target.channel !== 'in_app')
          throw NotificationErrors.invalidWorkflow(
            `${at}.if`,
            'must name an earlier in_app step by its index',
          )
      }
    } else if (s.type === 'digest' && ++digests > 1)
      throw NotificationErrors.invalidWorkflow(at, 'a workflow has at most one digest step')
  })
}

interface WorkflowRow {
  id: string
  name: string | null
  steps: Step[]
  critical: boolean
  defaults: Partial<Record<Channel, boolean>>
  updated_at: Date
}

const toWorkflow = (r: WorkflowRow): Workflow => ({
  id: r.id,
  name: r.name,
  steps: r.steps,
  critical: r.critical,
  defaults: r.defaults,
  updatedAt: r.updated_at.toISOString(),
})

/** The workflows table. */
export class WorkflowStore {
  constructor(private readonly db: Queryable) {}

  async put(w: Omit<Workflow, 'updatedAt'>): Promise<{ workflow: Workflow; created: boolean }> {
    validateSteps(w.steps)
    const { rows } = await this.db.query<WorkflowRow & { created: boolean }>(
      `INSERT INTO workflows (id, name, steps, critical, defaults) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, steps = EXCLUDED.steps,
         critical = EXCLUDED.critical, defaults = EXCLUDED.defaults, updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [w.id, w.name, JSON.stringify(w.steps), w.critical, JSON.stringify(w.defaults)],
    )
    const row = rows[0]!
    return { workflow: toWorkflow(row), created: row.created }
  }

  async get(db: Queryable, id: string): Promise<Workflow | undefined> {
    const { rows } = await db.query<WorkflowRow>('SELECT * FROM workflows WHERE id = $1', [id])
    return rows[0] && toWorkflow(rows[0])
  }

  async list(): Promise<Workflow[]> {
    const { rows } = await this.db.query<WorkflowRow>('SELECT * FROM workflows ORDER BY id LIMIT 1000')
    return rows.map(toWorkflow)
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM workflows WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }
}
