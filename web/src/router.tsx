/**
 * Client-side routes without a router library: the console has two kinds of
 * page (`/` and `/console/<system>`), so the History API and one hook do.
 * The server answers every `/console/*` path with the console's page, so
 * these URLs can be bookmarked and reloaded.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react'

const NAVIGATE = 'blueprints:navigate'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(NAVIGATE, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(NAVIGATE, onChange)
  }
}

/** The current path (without query or hash); re-renders on navigation. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}

/** Go to `to` without reloading the page. */
export function navigate(to: string): void {
  if (to === window.location.pathname) return
  window.history.pushState(null, '', to)
  window.dispatchEvent(new Event(NAVIGATE))
  window.scrollTo?.(0, 0)
}

/** The path of a system's page. */
export function systemPath(name: string): string {
  return `/console/${encodeURIComponent(name)}`
}

export type Route = { page: 'home' } | { page: 'system'; name: string } | { page: 'not-found'; path: string }

/** What `path` shows. */
export function matchRoute(path: string): Route {
  if (path === '/' || path === '/console' || path === '/console/') return { page: 'home' }
  const m = /^\/console\/([^/]+)\/?$/.exec(path)
  if (m) {
    try {
      return { page: 'system', name: decodeURIComponent(m[1]!) }
    } catch {
      // A malformed escape is a page that does not exist, not a crash.
    }
  }
  return { page: 'not-found', path }
}

/** An ordinary link (keyboard, middle-click and "open in new tab" work) that navigates in place. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(href)
  }
  return <a href={href} onClick={click} {...rest} />
}
