-- The ledger: double-entry accounts and the transfers between them (TigerBeetle's model).
-- Amounts are integers in the currency's minor unit (cents), never floats.

CREATE TABLE ledger_accounts (
  id              text PRIMARY KEY,
  currency        text NOT NULL,
  -- 1: debits must not exceed credits (a customer's balance: cannot go below zero)
  -- 2: credits must not exceed debits (an asset account seen from the other side)
  flags           int NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 2),
  debits_pending  bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted   bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted  bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  metadata        jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- The limits, enforced by the database as the last line: the transfer function checks them
  -- first (to answer exceeds_credits / exceeds_debits), these make a bug there fail loudly.
  CONSTRAINT debits_within_credits CHECK (flags <> 1 OR debits_pending + debits_posted <= credits_posted),
  CONSTRAINT credits_within_debits CHECK (flags <> 2 OR credits_pending + credits_posted <= debits_posted)
);

-- Every transfer ever accepted, and the ones refused for a reason that depends on state
-- (exceeds_credits, pending_transfer_not_found, ...): a retry with the same id gets the same
-- answer. The posted balance of an account is the sum of its rows with result 'ok' and kind
-- 'single' or 'post'; the pending balance, the sum of its 'pending' rows in state 'pending'.
CREATE TABLE ledger_transfers (
  id                text PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('single', 'pending', 'post', 'void')),
  debit_account_id  text,
  credit_account_id text,
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text,
  pending_id        text,
  linked            boolean NOT NULL DEFAULT false,
  timeout_seconds   int NOT NULL DEFAULT 0,
  -- pending rows: pending -> posted | voided | expired; other rows: 'done'
  state             text NOT NULL,
  expires_at        timestamptz,
  result            text NOT NULL,
  -- md5 of the request as the ledger normalised it: same id + other body = an error
  body_hash         text NOT NULL,
  metadata          jsonb,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id) WHERE result = 'ok';
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id) WHERE result = 'ok';
CREATE INDEX ledger_transfers_expiring ON ledger_transfers (expires_at) WHERE state = 'pending';
