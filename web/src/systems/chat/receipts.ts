/**
 * Read receipts on screen: each member's receipt is an offset (the last
 * event they read), shown as "Seen by ..." under the newest message at or
 * before it. The offset may point at an event that is not a message (a
 * reaction, a join), hence "at or before".
 */

/**
 * For each message offset, the members (other than `me`) whose receipt stops at that message,
 * sorted by name. Receipts older than every message on screen are not shown.
 */
export function receiptMarks(
  messages: readonly { offset: number }[],
  receipts: Readonly<Record<string, number>>,
  me: string,
): Map<number, string[]> {
  const marks = new Map<number, string[]>()
  for (const [user, lastRead] of Object.entries(receipts).sort(([a], [b]) => a.localeCompare(b))) {
    if (user === me) continue
    // The last message with offset <= lastRead (messages are in offset order).
    let lo = 0
    let hi = messages.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (messages[mid]!.offset <= lastRead) lo = mid + 1
      else hi = mid
    }
    const m = messages[lo - 1]
    if (!m) continue
    const list = marks.get(m.offset)
    if (list) list.push(user)
    else marks.set(m.offset, [user])
  }
  return marks
}

/** "Seen by bob", "Seen by bob and carol", "Seen by bob, carol and 3 others". */
export function seenBy(users: readonly string[]): string {
  if (users.length === 0) return ''
  if (users.length === 1) return `Seen by ${users[0]}`
  if (users.length <= 3) return `Seen by ${users.slice(0, -1).join(', ')} and ${users.at(-1)}`
  return `Seen by ${users.slice(0, 2).join(', ')} and ${users.length - 2} others`
}
