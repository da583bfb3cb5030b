/**
 * Search highlights without innerHTML. The server sends HTML-escaped text
 * with `<mark>` around the matches; rather than trust that string as HTML,
 * the page splits it on exactly `<mark>` and `</mark>`, un-escapes the
 * text between, and renders text nodes and <mark> elements. A body that
 * contained markup arrives escaped, so it stays text: there is no path from
 * a message to the DOM as HTML.
 */

export interface Segment {
  text: string
  mark: boolean
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#x27;': "'",
}

/** One pass, so `&amp;lt;` becomes `&lt;` (what was typed), never `<`. */
function unescapeHtml(s: string): string {
  return s.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (e) => ENTITIES[e]!)
}

/** The highlight as plain-text segments, each marked or not. */
export function parseHighlight(highlight: string): Segment[] {
  const out: Segment[] = []
  let mark = false
  for (const part of highlight.split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') mark = true
    else if (part === '</mark>') mark = false
    else if (part) {
      const text = unescapeHtml(part)
      const last = out[out.length - 1]
      if (last && last.mark === mark) last.text += text
      else out.push({ text, mark })
    }
  }
  return out
}
