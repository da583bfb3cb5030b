/** The system's job queues and tasks (platform/jobs) and their payloads. */

/** A subscriber's run of a workflow: one job per stretch of steps that need no wait. */
export const RUNS_QUEUE = 'notifications.runs'
export const RUN_TASK = 'notifications.run-steps'
/** One channel delivery (email, webhook, push, in-app), retried with backoff. */
export const DELIVERIES_QUEUE = 'notifications.deliveries'
export const DELIVER_TASK = 'notifications.deliver'

/** Run the workflow of trigger `t` for subscriber `s` from step `i` (after digest `d`, if any). */
export interface RunPayload {
  t: string
  s: string
  i: number
  d?: string
}

export interface DeliverPayload {
  id: string
}
