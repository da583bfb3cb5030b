/**
 * Catches a render error (or a page chunk that failed to load because the
 * server went away) below it and shows it, so a bug in one system's page
 * never leaves a blank screen.
 */
import { Component, type ReactNode } from 'react'
import { ErrorBox } from './error-box'

interface State {
  error: Error | undefined
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined }

  static getDerivedStateFromError(error: Error): State {
    return { error }
  }

  override render() {
    if (this.state.error)
      return (
        <ErrorBox title="This page failed to load" onRetry={() => this.setState({ error: undefined })}>
          {this.state.error.message}
        </ErrorBox>
      )
    return this.props.children
  }
}
