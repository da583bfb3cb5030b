/**
 * A button for an action the server may refuse. When the page already knows
 * the action does not apply (cancel a finished job), the button stays in
 * place and focusable but says so (`aria-disabled`, and the reason on
 * click), so the controls never shift under a keyboard user as states change.
 */
import type { ReactNode } from 'react'

export interface ActionButtonProps {
  children: ReactNode
  onClick: () => void
  /** Why the action does not apply now; the button then explains instead of acting. */
  unavailable?: string
  onUnavailable?: (reason: string) => void
  busy?: boolean
  className?: string
}

/** The button. */
export function ActionButton({
  children,
  onClick,
  unavailable,
  onUnavailable,
  busy,
  className,
}: ActionButtonProps) {
  const off = Boolean(unavailable) || busy
  return (
    <button
      type="button"
      className={`${className ?? ''}${off ? ' is-unavailable' : ''}`.trim() || undefined}
      aria-disabled={off || undefined}
      title={unavailable}
      onClick={() => {
        if (busy) return
        if (unavailable) onUnavailable?.(unavailable)
        else onClick()
      }}
    >
      {children}
    </button>
  )
}
