import { describe, expect, it } from 'vitest'
import { receiptMarks, seenBy } from './receipts'

const messages = [{ offset: 3 }, { offset: 4 }, { offset: 8 }, { offset: 9 }]

describe('read receipts', () => {
  it('puts each member under the newest message at or before their receipt, never us', () => {
    const marks = receiptMarks(messages, { bob: 9, carol: 4, dave: 7, alice: 9, erin: 2 }, 'alice')
    // dave read to 7 (a reaction, say): his mark sits under message 4; erin read nothing shown here.
    expect(Object.fromEntries(marks)).toEqual({ 9: ['bob'], 4: ['carol', 'dave'] })
  })

  it('shows nothing when no one has read anything on screen', () => {
    expect(receiptMarks(messages, { bob: 0 }, 'alice').size).toBe(0)
    expect(receiptMarks([], { bob: 5 }, 'alice').size).toBe(0)
  })

  it('says who in words, short for many', () => {
    expect(seenBy(['bob'])).toBe('Seen by bob')
    expect(seenBy(['bob', 'carol'])).toBe('Seen by bob and carol')
    expect(seenBy(['bob', 'carol', 'dave'])).toBe('Seen by bob, carol and dave')
    expect(seenBy(['a', 'b', 'c', 'd', 'e'])).toBe('Seen by a, b and 3 others')
  })
})
