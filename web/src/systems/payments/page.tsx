/**
 * The payments page: paste the secret key of the Stripe-shaped API, then make test payments with
 * Stripe's test cards (success, decline, 3-D Secure through its next-action page), follow each
 * PaymentIntent's events and the ledger transfers it made, the balance, and the webhook
 * deliveries with their attempts. Only the system's public routes (src/systems/payments/README.md).
 */
import { useEffect, useState } from 'react'
import { SecretForm } from '../../ui/secret-form'
import { readStored, writeStored } from '../../ui/storage'
import { usePoll } from '../../ui/use-poll'
import type { SystemPageProps } from '../registry'
import { getBalance, KEY_STORAGE, listPayments, type PaymentIntent } from './api'
import { BalanceCard } from './balance-card'
import { PaymentDetail } from './payment-detail'
import { PaymentForm } from './payment-form'
import { PaymentsList } from './payments-list'
import { WebhooksCard } from './webhooks-card'
import './payments.css'

/** Everything behind the key; remounted when the key changes. */
function Account({ onRefused }: { onRefused: (message: string | undefined) => void }) {
  const [selected, setSelected] = useState<string>()
  const [made, setMade] = useState<PaymentIntent>()
  const list = usePoll('payments', listPayments, 3_000)
  const balance = usePoll('balance', getBalance, 3_000)
  const refused = list.error && 'status' in list.error && list.error.status === 401
  const refusal = refused ? list.error?.message : undefined
  useEffect(() => onRefused(refusal), [refusal, onRefused])

  const intents = list.data?.data ?? []
  const open = intents.find((pi) => pi.id === selected) ?? (made?.id === selected ? made : undefined)
  return (
    <>
      <PaymentForm
        created={(pi) => {
          setMade(pi)
          setSelected(pi.id)
          list.reload()
          balance.reload()
        }}
      />
      <div className="payments-columns">
        <section className="card" aria-labelledby="list-heading">
          <h2 id="list-heading">Payments</h2>
          {list.error && !refused && <p className="form-error">{list.error.message}</p>}
          <PaymentsList intents={intents} selected={selected} onSelect={setSelected} />
        </section>
        <BalanceCard balance={balance.data} />
      </div>
      {open && (
        <PaymentDetail
          pi={open}
          changed={() => {
            list.reload()
            balance.reload()
          }}
        />
      )}
      <WebhooksCard />
    </>
  )
}

/** The page. */
export default function PaymentsPage(_props: SystemPageProps) {
  const [key, setKey] = useState(() => readStored(KEY_STORAGE) ?? '')
  const [refused, setRefused] = useState<string>()
  const save = (next: string) => {
    const k = next.trim()
    writeStored(KEY_STORAGE, k || undefined)
    setKey(k)
    setRefused(undefined)
  }
  return (
    <div className="stack payments-page">
      <SecretForm
        noun="Secret key"
        value={key}
        onSave={save}
        error={refused}
        placeholder="sk_test_…"
        hint="The /v1 API takes a Stripe-style secret key: start the server with PAYMENTS_INITIAL_SECRET_KEY=sk_test_ and 24 or more letters or digits, and paste the same key here."
      />
      {key && <Account key={key} onRefused={setRefused} />}
    </div>
  )
}
