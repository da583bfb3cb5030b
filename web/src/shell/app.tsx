/** The console: providers, the header, the server banner, and the page the path names. */
import { useEffect, useRef } from 'react'
import { HomePage } from '../home/home-page'
import { LiveProvider } from '../live/live-data'
import { Link, matchRoute, usePath } from '../router'
import { SystemPage } from '../system-page/system-page'
import { ErrorBoundary } from '../ui/error-boundary'
import { ErrorBox } from '../ui/error-box'
import { ThemeProvider } from '../ui/theme'
import { Header } from './header'
import { ServerBanner } from './server-banner'

function Page() {
  const route = matchRoute(usePath())
  const title = route.page === 'system' ? route.name : route.page === 'home' ? 'Systems' : 'Not found'
  useEffect(() => {
    document.title = `${title} · Blueprints console`
  }, [title])
  if (route.page === 'home') return <HomePage />
  if (route.page === 'system') return <SystemPage key={route.name} name={route.name} />
  return (
    <ErrorBox title="No such page">
      Nothing lives at <code>{route.path}</code>. <Link href="/">See every system</Link>.
    </ErrorBox>
  )
}

/** The whole console. `pollMs` is shortened by tests. */
export function App({ pollMs }: { pollMs?: number }) {
  const path = usePath()
  // After a navigation, move focus to the new page's content, as a page load would reset it
  // (a screen reader then reads the new page instead of staying on the link that was followed).
  const first = useRef(true)
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each change of `path`, by design
  useEffect(() => {
    if (first.current) first.current = false
    else document.getElementById('main')?.focus()
  }, [path])
  return (
    <ThemeProvider>
      <LiveProvider pollMs={pollMs}>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <Header />
        <ServerBanner />
        <main id="main" tabIndex={-1}>
          <ErrorBoundary key={path}>
            <Page />
          </ErrorBoundary>
        </main>
      </LiveProvider>
    </ThemeProvider>
  )
}
