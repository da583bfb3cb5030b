/**
 * Cron expressions: standard 5 fields (minute hour day month weekday), or 6
 * with seconds first, or the @aliases (@hourly, @daily, ...), in an IANA
 * time zone (cron-parser 5 does the calendar arithmetic, DST included).
 */
import { CronExpressionParser } from 'cron-parser'
import { JobsErrors } from './errors.js'

const ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'])

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Check an expression and a time zone; throws JOBS_INVALID_CRON / JOBS_INVALID_TIME_ZONE. */
export function checkCron(expr: string, tz: string): void {
  if (!isTimeZone(tz)) throw JobsErrors.invalidTimeZone(tz)
  const text = expr.trim()
  if (text.length === 0 || text.length > 200)
    throw JobsErrors.invalidCron('the cron expression is empty or too long')
  if (text.startsWith('@')) {
    if (!ALIASES.has(text.toLowerCase())) throw JobsErrors.invalidCron(`unknown cron alias ${text}`)
  } else {
    const fields = text.split(/\s+/).length
    if (fields !== 5 && fields !== 6)
      throw JobsErrors.invalidCron(`a cron expression has 5 fields (or 6 with seconds first), not ${fields}`)
  }
  try {
    CronExpressionParser.parse(text, { tz, strict: false }).next()
  } catch (err) {
    throw JobsErrors.invalidCron(`invalid cron expression ${JSON.stringify(text)}: ${(err as Error).message}`)
  }
}

/** The first tick strictly after `after`. */
export function nextTick(expr: string, tz: string, after: Date): Date {
  return CronExpressionParser.parse(expr.trim(), { tz, currentDate: after }).next().toDate()
}

/** Ticks in [from, to], oldest first, at most `max` of them (the oldest). */
export function ticksBetween(expr: string, tz: string, from: Date, to: Date, max: number): Date[] {
  const out: Date[] = []
  // currentDate is exclusive: start 1 ms before `from` so a tick exactly at `from` counts.
  const it = CronExpressionParser.parse(expr.trim(), {
    tz,
    currentDate: new Date(from.getTime() - 1),
    endDate: to,
  })
  while (out.length < max && it.hasNext()) out.push(it.next().toDate())
  return out
}

/** The latest `max` ticks in [from, to], oldest first (for catch-up after a long gap). */
export function latestTicks(expr: string, tz: string, from: Date, to: Date, max: number): Date[] {
  const out: Date[] = []
  const it = CronExpressionParser.parse(expr.trim(), {
    tz,
    currentDate: new Date(to.getTime() + 1),
    startDate: new Date(from.getTime() - 1),
  })
  while (out.length < max && it.hasPrev()) {
    const t = it.prev().toDate()
    if (t.getTime() < from.getTime()) break
    out.push(t)
  }
  return out.reverse()
}
