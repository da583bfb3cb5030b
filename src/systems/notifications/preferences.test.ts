/**
 * Preferences and quiet hours, as pure functions (property tests over time zones and times):
 * the most specific choice wins, a critical workflow is never muted, and a delivery due inside
 * the subscriber's local quiet hours waits exactly until they end, in any time zone.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decideChannel,
  inQuietHours,
  localSecondOfDay,
  type PreferenceRow,
  quietUntil,
} from './preferences.js'

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'America/Santiago',
  'Africa/Casablanca',
]

describe('preferences', () => {
  const w = { id: 'digest', critical: false, defaults: { email: false } }

  it('lets the most specific choice win, then the workflow default, then on', () => {
    const p = (workflowId: string, channel: string, enabled: boolean): PreferenceRow => ({
      workflowId,
      channel,
      enabled,
    })
    expect(decideChannel([], w, 'in_app').allowed).toBe(true)
    expect(decideChannel([], w, 'email')).toEqual({ allowed: false, reason: 'workflow default' })
    expect(decideChannel([p('*', '*', false)], w, 'in_app').allowed).toBe(false)
    expect(decideChannel([p('*', '*', false), p('*', 'in_app', true)], w, 'in_app').allowed).toBe(true)
    expect(decideChannel([p('*', 'in_app', true), p('digest', '*', false)], w, 'in_app').allowed).toBe(false)
    expect(decideChannel([p('digest', '*', false), p('digest', 'email', true)], w, 'email').allowed).toBe(
      true,
    )
    expect(decideChannel([p('other', '*', false)], w, 'in_app').allowed).toBe(true)
  })

  it('never mutes a critical workflow', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            workflowId: fc.constantFrom('*', 'digest', 'other'),
            channel: fc.constantFrom('*', 'email', 'in_app', 'push', 'webhook'),
            enabled: fc.boolean(),
          }),
        ),
        fc.constantFrom('email', 'in_app', 'push', 'webhook' as const),
        (prefs, channel) => {
          expect(decideChannel(prefs, { ...w, critical: true }, channel).allowed).toBe(true)
        },
      ),
    )
  })
})

describe('quiet hours', () => {
  it('holds a delivery due inside them until their local end, in every time zone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.date({
          min: new Date('2024-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (timeZone, start, end, now) => {
          const q = { start, end, timeZone }
          const until = quietUntil(now, q)
          if (!inQuietHours(now, q)) {
            expect(until).toBeUndefined()
            return
          }
          expect(until).toBeDefined()
          expect(until!.getTime()).toBeGreaterThan(now.getTime())
          // Over at that instant, and (outside a DST jump) at their end, local time, to the minute.
          expect(inQuietHours(until!, q)).toBe(false)
          const local = Math.floor(localSecondOfDay(until!, timeZone) / 60)
          const dstMoved =
            localSecondOfDay(new Date(now.getTime() + 86_400_000), timeZone) !==
            localSecondOfDay(now, timeZone)
          if (!dstMoved) expect(local).toBe(end)
          // Never more than a day (plus a DST hour) away.
          expect(until!.getTime() - now.getTime()).toBeLessThanOrEqual(25 * 3_600_000)
          // Still quiet one minute before the end.
          if (until!.getTime() - now.getTime() > 120_000)
            expect(inQuietHours(new Date(until!.getTime() - 60_000), q)).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('knows 22:00-07:00 in Paris', () => {
    const q = { start: 22 * 60, end: 7 * 60, timeZone: 'Europe/Paris' }
    // 23:30 in Paris (winter, UTC+1) is 22:30 UTC; quiet until 07:00 Paris = 06:00 UTC.
    expect(quietUntil(new Date('2026-01-15T22:30:00Z'), q)?.toISOString()).toBe('2026-01-16T06:00:00.000Z')
    expect(quietUntil(new Date('2026-01-15T12:00:00Z'), q)).toBeUndefined()
  })
})
