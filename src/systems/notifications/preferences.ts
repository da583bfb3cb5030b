/**
 * Whether a subscriber gets a channel of a workflow, and when: preferences (the most specific
 * choice wins: this workflow and channel, this workflow, this channel everywhere, everything;
 * then the workflow's default; then on), critical workflows that no preference mutes, and quiet
 * hours in the subscriber's own time zone (a delivery due inside them waits for their end).
 * Pure functions: the runner reads the rows, these decide.
 */
import type { Channel } from './workflows.js'

export interface PreferenceRow {
  workflowId: string
  channel: string
  enabled: boolean
}

export interface Decision {
  allowed: boolean
  /** Why not (or `critical` when a preference was overridden). */
  reason?: string
}

/** Whether `channel` of workflow `w` reaches a subscriber with `prefs`. */
export function decideChannel(
  prefs: readonly PreferenceRow[],
  w: { id: string; critical: boolean; defaults: Partial<Record<Channel, boolean>> },
  channel: Channel,
): Decision {
  const pick = (workflowId: string, ch: string) =>
    prefs.find((p) => p.workflowId === workflowId && p.channel === ch)?.enabled
  const chosen = pick(w.id, channel) ?? pick(w.id, '*') ?? pick('*', channel) ?? pick('*', '*')
  if (w.critical) return chosen === false ? { allowed: true, reason: 'critical' } : { allowed: true }
  if (chosen !== undefined) return chosen ? { allowed: true } : { allowed: false, reason: 'preference' }
  if (w.defaults[channel] === false) return { allowed: false, reason: 'workflow default' }
  return { allowed: true }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz)
    return true
  } catch {
    return false
  }
}

/** Seconds since local midnight at instant `at` in `timeZone`. */
export function localSecondOfDay(at: Date, timeZone: string): number {
  let h = 0
  let m = 0
  let s = 0
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'hour') h = Number(p.value)
    else if (p.type === 'minute') m = Number(p.value)
    else if (p.type === 'second') s = Number(p.value)
  }
  return h * 3600 + m * 60 + s
}

export interface QuietHours {
  /** Minutes of the local day: [start, end), spanning midnight when start > end; equal: none. */
  start: number
  end: number
  timeZone: string
}

/** Whether the local time at `at` falls in the quiet hours. */
export function inQuietHours(at: Date, q: QuietHours): boolean {
  if (q.start === q.end) return false
  const minute = Math.floor(localSecondOfDay(at, q.timeZone) / 60)
  return q.start < q.end ? minute >= q.start && minute < q.end : minute >= q.start || minute < q.end
}

/**
 * When a delivery due at `now` may go: undefined when `now` is outside the quiet hours, else the
 * first instant at which they are over (their end, local time; a DST jump moves it the next turn).
 */
export function quietUntil(now: Date, q: QuietHours): Date | undefined {
  if (!inQuietHours(now, q)) return undefined
  let at = now
  // Each turn lands on the local end; a DST change in between can leave it an hour off, once.
  for (let turn = 0; turn < 4 && inQuietHours(at, q); turn++) {
    const local = localSecondOfDay(at, q.timeZone)
    const wait = (((q.end * 60 - local) % 86_400) + 86_400) % 86_400 || 60
    at = new Date(Math.floor(at.getTime() / 1000) * 1000 + wait * 1000)
  }
  return at
}
