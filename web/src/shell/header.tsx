/** The top bar: the console's name (a link home), links to the platform's own pages, and the theme. */
import { Link } from '../router'
import { ThemeSelect } from '../ui/theme'

/** The header of every page. */
export function Header() {
  return (
    <header className="top">
      <Link href="/" className="brand">
        Blueprints <span>console</span>
      </Link>
      <nav aria-label="Platform">
        <a href="/docs">API docs</a>
        <a href="/metrics">Metrics</a>
        <a href="/readyz">Readiness</a>
      </nav>
      <ThemeSelect />
    </header>
  )
}
