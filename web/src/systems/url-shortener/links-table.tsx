/** The newest short URLs; choosing one shows its visits in the chart. */
import type { ShortUrl } from './api'

export interface LinksTableProps {
  links: readonly ShortUrl[]
  total: number
  selected: string | undefined
  onSelect: (shortCode: string | undefined) => void
}

/** The table of short URLs. */
export function LinksTable({ links, total, selected, onSelect }: LinksTableProps) {
  if (links.length === 0) return <p className="muted">No short URLs yet: shorten one above.</p>
  return (
    // Focusable, so that a keyboard user can scroll the table sideways on a narrow screen.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-wrap" aria-label="Short URLs table" tabIndex={0}>
      <table className="links-table">
        <caption>
          Short URLs, newest first{total > links.length ? ` (${links.length} of ${total})` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Short URL</th>
            <th scope="col">Long URL</th>
            <th scope="col" className="num">
              Visits
            </th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Chart</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {links.map((l) => {
            const isSelected = l.shortCode === selected
            return (
              <tr
                key={l.shortCode}
                className={isSelected ? 'selected' : undefined}
                data-short-code={l.shortCode}
              >
                <td>
                  <a href={l.shortUrl} target="_blank" rel="noreferrer">
                    {l.shortCode}
                  </a>
                </td>
                <td className="long-url" title={l.longUrl}>
                  {l.longUrl}
                </td>
                <td className="num" data-label="visits">
                  {l.visitsSummary.total.toLocaleString('en')}
                </td>
                <td>
                  <time dateTime={l.dateCreated}>{new Date(l.dateCreated).toLocaleString()}</time>
                </td>
                <td>
                  <button
                    type="button"
                    className="secondary small"
                    aria-pressed={isSelected}
                    onClick={() => onSelect(isSelected ? undefined : l.shortCode)}
                  >
                    {isSelected ? 'Show all visits' : `Chart ${l.shortCode}`}
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </section>
  )
}
