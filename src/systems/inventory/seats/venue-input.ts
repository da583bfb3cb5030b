/** A venue's seat map as the API takes it, and the seat rows it becomes (checked beyond the schema). */
import { SeatErrors } from './errors.js'

/** Section and row names: no `-`, which separates them in a seat id (`<section>-<row>-<number>`). */
export const NAME_PATTERN = '^[A-Za-z0-9_]{1,32}$'
export const CATEGORY_PATTERN = '^[A-Za-z0-9_]{1,32}$'

export interface RowInput {
  name: string
  seats: number
  category?: string
  price?: number
  accessible?: number[]
}
export interface SectionInput {
  name: string
  category?: string
  price?: number
  rows: RowInput[]
}
export interface VenueInput {
  name: string
  sections: SectionInput[]
}

/** One seat of a venue, in the venue's fixed order (`seatNo`, from 1). */
export interface VenueSeat {
  seatNo: number
  seatId: string
  section: string
  row: string
  number: number
  sectionIndex: number
  rowIndex: number
  rowSize: number
  category: string
  price: number
  accessible: boolean
}

/** The seats of `venue`, or a 400 naming the first field that makes no sense. */
export function venueSeats(venue: VenueInput, maxSeats: number): VenueSeat[] {
  const out: VenueSeat[] = []
  const sections = new Set<string>()
  venue.sections.forEach((section, si) => {
    if (sections.has(section.name))
      throw SeatErrors.invalidVenue(`sections[${si}].name`, `repeats section ${section.name}`)
    sections.add(section.name)
    const rows = new Set<string>()
    section.rows.forEach((row, ri) => {
      const at = `sections[${si}].rows[${ri}]`
      if (rows.has(row.name)) throw SeatErrors.invalidVenue(`${at}.name`, `repeats row ${row.name}`)
      rows.add(row.name)
      const accessible = new Set(row.accessible ?? [])
      for (const n of accessible)
        if (n > row.seats)
          throw SeatErrors.invalidVenue(`${at}.accessible`, `names seat ${n} of ${row.seats}`)
      if (out.length + row.seats > maxSeats)
        throw SeatErrors.invalidVenue(
          at,
          `takes the venue past ${maxSeats} seats (INVENTORY_MAX_VENUE_SEATS)`,
        )
      for (let number = 1; number <= row.seats; number++)
        out.push({
          seatNo: out.length + 1,
          seatId: `${section.name}-${row.name}-${number}`,
          section: section.name,
          row: row.name,
          number,
          sectionIndex: si,
          rowIndex: ri,
          rowSize: row.seats,
          category: row.category ?? section.category ?? 'standard',
          price: row.price ?? section.price ?? 0,
          accessible: accessible.has(number),
        })
    })
  })
  return out
}

/** Parse a seat id into its parts, or undefined when it is not `<section>-<row>-<number>`. */
export function isSeatId(id: string): boolean {
  return /^[A-Za-z0-9_]{1,32}-[A-Za-z0-9_]{1,32}-[1-9][0-9]{0,3}$/.test(id)
}
