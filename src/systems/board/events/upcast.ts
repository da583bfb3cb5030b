/**
 * Upcasters: an event written at an older schema version is turned into the current shape when
 * it is read, never rewritten in the log (the log is immutable). Each step takes version n to
 * n+1, so an event several versions behind goes through each step in turn.
 */
import { AppError } from '../../../platform/errors.js'
import { CURRENT, type EventData, type EventType } from './types.js'

type Raw = Record<string, unknown>
type Step = (data: Raw) => Raw

/** `STEPS[type][n]` takes the data of version n to version n+1. */
const STEPS: Partial<Record<EventType, Record<number, Step>>> = {
  CardAdded: {
    // v1 named the title `name` and had no rank: v1 cards were appended in order, and the
    // earliest releases wrote the rank under `position`, which is a rank string too.
    1: (d) => ({ cardId: d.cardId, listId: d.listId, title: d.name, rank: d.rank ?? d.position }),
  },
}

/** The data of `type` written at `schemaVersion`, in the current shape. */
export function upcast<T extends EventType>(type: T, schemaVersion: number, data: Raw): EventData[T] {
  const current = CURRENT[type]
  if (current === undefined) throw new AppError('BOARD_EVENT_UNKNOWN', 500, `unknown event type ${type}`)
  let out = data
  for (let v = schemaVersion; v < current; v++) {
    const step = STEPS[type]?.[v]
    if (!step) throw new AppError('BOARD_EVENT_UNKNOWN', 500, `no upcaster for ${type} v${v}`)
    out = step(out)
  }
  if (schemaVersion > current)
    throw new AppError('BOARD_EVENT_UNKNOWN', 500, `${type} v${schemaVersion} is newer than this code`)
  return out as EventData[T]
}
