/** An error the page cannot get past, said in words, with a way to try again. */
import type { ReactNode } from 'react'

/** A framed error with an optional retry button. */
export function ErrorBox({
  title,
  children,
  onRetry,
}: {
  title: string
  children?: ReactNode
  onRetry?: () => void
}) {
  return (
    <div className="error-box" role="alert">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}
