/**
 * Light and dark mode. The default follows the system (`prefers-color-scheme`);
 * a person may pin light or dark, kept in localStorage. The resolved theme is
 * set as `data-theme` on <html> (the stylesheet keys its colours on it) and
 * given to components that draw on canvas (charts), which cannot use CSS.
 */
import { createContext, type ReactNode, useContext, useEffect, useLayoutEffect, useState } from 'react'
import { readStored, writeStored } from './storage'

export type ThemeMode = 'system' | 'light' | 'dark'
export type Theme = 'light' | 'dark'

const KEY = 'blueprints.theme'
const MODES: ThemeMode[] = ['system', 'light', 'dark']

const ThemeContext = createContext<{ theme: Theme; mode: ThemeMode; setMode: (m: ThemeMode) => void }>({
  theme: 'light',
  mode: 'system',
  setMode: () => {},
})

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

/** Provide the theme and keep <html data-theme> in step with it. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [mode, setModeState] = useState<ThemeMode>(() => {
    const stored = readStored(KEY)
    return MODES.includes(stored as ThemeMode) ? (stored as ThemeMode) : 'system'
  })
  const [system, setSystem] = useState<Theme>(systemTheme)
  useEffect(() => {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)')
    if (!mq) return
    const change = () => setSystem(mq.matches ? 'dark' : 'light')
    mq.addEventListener('change', change)
    return () => mq.removeEventListener('change', change)
  }, [])
  const theme = mode === 'system' ? system : mode
  // Before the browser paints: a dark-mode user never sees a light flash.
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme
  }, [theme])
  const setMode = (m: ThemeMode) => {
    setModeState(m)
    writeStored(KEY, m === 'system' ? undefined : m)
  }
  return <ThemeContext.Provider value={{ theme, mode, setMode }}>{children}</ThemeContext.Provider>
}

/** The resolved theme and the chosen mode. */
export function useTheme() {
  return useContext(ThemeContext)
}

/** A select for the theme mode (a native control: keyboard and screen readers know it). */
export function ThemeSelect() {
  const { mode, setMode } = useTheme()
  return (
    <label className="theme-select">
      <span>Theme</span>
      <select value={mode} onChange={(e) => setMode(e.target.value as ThemeMode)}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  )
}
