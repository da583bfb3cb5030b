/**
 * A labelled form field whose error, when the server names it, sits right
 * under the input and is tied to it (`aria-invalid`, `aria-describedby`),
 * so a screen reader reads the message when the field takes focus.
 */
import { type InputHTMLAttributes, useId } from 'react'

export interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string
  /** The server's message for this field. */
  error?: string
  /** A hint shown under the input. */
  hint?: string
}

/** An input with its label, hint and error. */
export function Field({ label, error, hint, id, ...input }: FieldProps) {
  const auto = useId()
  const inputId = id ?? auto
  const describedBy = [hint && `${inputId}-hint`, error && `${inputId}-error`].filter(Boolean).join(' ')
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {hint && (
        <small id={`${inputId}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${inputId}-error`} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  )
}
