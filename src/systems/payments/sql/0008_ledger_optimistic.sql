-- Lock with the update itself (the benchmark: every account row was written twice per batch, once
-- by SELECT ... FOR UPDATE and once by the UPDATE of its balance). The common batch now first
-- runs optimistically: it reads its accounts without a lock, applies the transfers in memory
-- exactly as before, and writes the balances with one UPDATE whose WHERE says "still as read".
-- That UPDATE takes the row locks (waiting for a batch that holds one, then re-reading the row,
-- as READ COMMITTED does) and is the only write of each account. If any account moved since it
-- was read (another process, or a batch the batcher did not keep apart), or the UPDATE lost a
-- deadlock, the attempt's subtransaction rolls back and the batch takes the old path: lock in id
-- order, then apply. So the results are exactly those of the locked path, at one write per
-- account when batches do not collide.

DROP FUNCTION ledger_batch_in_memory(jsonb, text[], text[], int[], bigint[], bigint[], bigint[], bigint[]);

CREATE FUNCTION ledger_batch_in_memory(batch jsonb, a_ids text[], a_cur text[], a_flags int[],
                                       a_dp bigint[], a_dpo bigint[], a_cp bigint[], a_cpo bigint[],
                                       optimistic boolean)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  n int := jsonb_array_length(batch);
  results text[] := array_fill('ok'::text, ARRAY[greatest(n, 1)]);
  ids text[]; kinds text[]; drs text[]; crs text[]; amts text[]; curs text[]; pids text[]; tmos int[];
  hashes text[];
  a_changed boolean[] := array_fill(false, ARRAY[greatest(coalesce(array_length(a_ids, 1), 0), 1)]);
  p_ids text[]; p_kind text[]; p_dr text[]; p_cr text[]; p_cur text[]; p_amt bigint[];
  p_state text[]; p_gone boolean[]; p_changed boolean[];
  fin_ids text[] := '{}'; fin_amts bigint[] := '{}';
  ref_idx int[] := '{}';
  t_di int[]; t_ci int[]; t_pi int[]; p_di int[]; p_ci int[];
  o_dp bigint[] := a_dp; o_dpo bigint[] := a_dpo; o_cp bigint[] := a_cp; o_cpo bigint[] := a_cpo;
  na int := coalesce(array_length(a_ids, 1), 0);
  g int; k text; r text; di int; ci int; pi int; amt bigint; dr text; cr text; cur text; cnt int;
BEGIN
  SELECT array_agg(e->>'id' ORDER BY o), array_agg(e->>'kind' ORDER BY o), array_agg(e->>'debit' ORDER BY o),
         array_agg(e->>'credit' ORDER BY o), array_agg(e->>'amount' ORDER BY o), array_agg(e->>'currency' ORDER BY o),
         array_agg(e->>'pending_id' ORDER BY o), array_agg(coalesce((e->>'timeout')::int, 0) ORDER BY o),
         array_agg(md5(e::text) ORDER BY o)
    INTO ids, kinds, drs, crs, amts, curs, pids, tmos, hashes
    FROM jsonb_array_elements(batch) WITH ORDINALITY x(e, o);

  -- The pending transfers named by posts and voids, whose accounts this batch locked (the rule
  -- of 0003: one committed since the locks is not there yet for this batch).
  SELECT array_agg(q.id ORDER BY q.o), array_agg(q.kind ORDER BY q.o),
         array_agg(q.debit_account_id ORDER BY q.o), array_agg(q.credit_account_id ORDER BY q.o),
         array_agg(q.currency ORDER BY q.o), array_agg(q.amount ORDER BY q.o), array_agg(q.state ORDER BY q.o),
         array_agg(q.state = 'expired' OR coalesce(q.expires_at <= now(), false) ORDER BY q.o),
         array_agg(da.o ORDER BY q.o), array_agg(ca.o ORDER BY q.o)
    INTO p_ids, p_kind, p_dr, p_cr, p_cur, p_amt, p_state, p_gone, p_di, p_ci
    FROM (SELECT lt.*, row_number() OVER (ORDER BY lt.id) AS o FROM (
            SELECT * FROM ledger_transfers WHERE id = ANY (ARRAY(
                SELECT w.id FROM ledger_transfers w
                  JOIN unnest(a_ids) d(id) ON d.id = w.debit_account_id
                  JOIN unnest(a_ids) c(id) ON c.id = w.credit_account_id
                 WHERE w.id = ANY (pids) AND w.result = 'ok'))
             ORDER BY id FOR UPDATE) lt) q
    JOIN unnest(a_ids) WITH ORDINALITY da(id, o) ON da.id = q.debit_account_id
    JOIN unnest(a_ids) WITH ORDINALITY ca(id, o) ON ca.id = q.credit_account_id;
  -- Each transfer's accounts and pending transfer as positions in those arrays (NULL: not there).
  SELECT array_agg(da.o ORDER BY x.o), array_agg(ca.o ORDER BY x.o), array_agg(pp.o ORDER BY x.o)
    INTO t_di, t_ci, t_pi
    FROM unnest(drs, crs, pids) WITH ORDINALITY x(dr, cr, pid, o)
    LEFT JOIN unnest(a_ids) WITH ORDINALITY da(id, o) ON da.id = x.dr
    LEFT JOIN unnest(a_ids) WITH ORDINALITY ca(id, o) ON ca.id = x.cr
    LEFT JOIN unnest(p_ids) WITH ORDINALITY pp(id, o) ON pp.id = x.pid;
  p_changed := array_fill(false, ARRAY[greatest(coalesce(array_length(p_ids, 1), 0), 1)]);

  -- Every row at once, as ledger_apply inserts it one by one; a conflict is not this path's case.
  -- Set by set, never `arr[i]` in SQL: an array handed to a statement is flat, and finding its
  -- i-th text element walks the i - 1 before it.
  INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency,
                                pending_id, linked, timeout_seconds, state, expires_at, result, body_hash)
  SELECT x.id, x.kind, coalesce(x.dr, p.dr), coalesce(x.cr, p.cr), coalesce(x.amt::bigint, 0), coalesce(x.cur, p.cur),
         x.pid, false, x.tmo, CASE WHEN x.kind = 'pending' THEN 'pending' ELSE 'done' END,
         CASE WHEN x.kind = 'pending' AND x.tmo > 0 THEN now() + make_interval(secs => x.tmo) END, 'ok', x.h
    FROM unnest(ids, kinds, drs, crs, amts, curs, pids, tmos, hashes) x(id, kind, dr, cr, amt, cur, pid, tmo, h)
    LEFT JOIN unnest(p_ids, p_dr, p_cr, p_cur) p(id, dr, cr, cur) ON p.id = x.pid
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS cnt = ROW_COUNT;
  IF cnt < n THEN RAISE EXCEPTION 'a transfer id exists' USING ERRCODE = 'LD002'; END IF;

  FOR g IN 1..n LOOP
    k := kinds[g];
    r := 'ok';
    IF k IN ('single', 'pending') THEN
      di := t_di[g];
      ci := t_ci[g];
      amt := amts[g]::bigint;
      IF di IS NULL THEN r := 'debit_account_not_found';
      ELSIF ci IS NULL THEN r := 'credit_account_not_found';
      ELSIF a_cur[di] <> a_cur[ci] THEN r := 'accounts_must_have_the_same_currency';
      ELSIF a_cur[di] <> curs[g] THEN r := 'transfer_must_have_the_same_currency_as_accounts';
      ELSIF a_flags[di] = 1 AND a_dp[di] + a_dpo[di] + amt > a_cpo[di] THEN r := 'exceeds_credits';
      ELSIF a_flags[ci] = 2 AND a_cp[ci] + a_cpo[ci] + amt > a_dpo[ci] THEN r := 'exceeds_debits';
      ELSIF k = 'single' THEN
        a_dpo[di] := a_dpo[di] + amt;
        a_cpo[ci] := a_cpo[ci] + amt;
      ELSE
        a_dp[di] := a_dp[di] + amt;
        a_cp[ci] := a_cp[ci] + amt;
      END IF;
      IF r = 'ok' THEN a_changed[di] := true; a_changed[ci] := true; END IF;
    ELSE
      pi := t_pi[g];
      IF pi IS NULL THEN r := 'pending_transfer_not_found';
      ELSE
        dr := coalesce(drs[g], p_dr[pi]);
        cr := coalesce(crs[g], p_cr[pi]);
        cur := coalesce(curs[g], p_cur[pi]);
        amt := amts[g]::bigint;
        IF p_kind[pi] <> 'pending' THEN r := 'pending_transfer_not_pending';
        ELSIF dr <> p_dr[pi] THEN r := 'pending_transfer_has_different_debit_account_id';
        ELSIF cr <> p_cr[pi] THEN r := 'pending_transfer_has_different_credit_account_id';
        ELSIF cur <> p_cur[pi] THEN r := 'pending_transfer_has_different_currency';
        ELSIF p_state[pi] = 'posted' THEN r := 'pending_transfer_already_posted';
        ELSIF p_state[pi] = 'voided' THEN r := 'pending_transfer_already_voided';
        ELSIF p_gone[pi] THEN r := 'pending_transfer_expired';
        ELSIF k = 'post' AND coalesce(amt, p_amt[pi]) > p_amt[pi] THEN r := 'exceeds_pending_transfer_amount';
        ELSIF k = 'void' AND amt IS NOT NULL AND amt <> p_amt[pi] THEN r := 'pending_transfer_has_different_amount';
        ELSE
          amt := CASE WHEN k = 'post' THEN coalesce(amt, p_amt[pi]) ELSE 0 END;
          di := p_di[pi];
          ci := p_ci[pi];
          a_dp[di] := a_dp[di] - p_amt[pi];
          a_dpo[di] := a_dpo[di] + amt;
          a_cp[ci] := a_cp[ci] - p_amt[pi];
          a_cpo[ci] := a_cpo[ci] + amt;
          a_changed[di] := true;
          a_changed[ci] := true;
          p_state[pi] := CASE WHEN k = 'post' THEN 'posted' ELSE 'voided' END;
          p_changed[pi] := true;
          fin_ids := fin_ids || ids[g];
          fin_amts := fin_amts || CASE WHEN k = 'post' THEN amt ELSE p_amt[pi] END;
        END IF;
      END IF;
    END IF;
    results[g] := r;
    IF r <> 'ok' THEN ref_idx := ref_idx || g; END IF;
  END LOOP;

  -- Optimistic: the accounts were read without a lock, so this UPDATE is the lock. It writes
  -- every account the batch read (an unchanged one too: its refusals rest on what was read) only
  -- where the row still holds what was read; one row short means another batch moved it since:
  -- LD003, the caller rolls this attempt back and takes the locks. Locked: the changed ones.
  IF optimistic THEN
    UPDATE ledger_accounts a SET debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp,
           credits_posted = u.cpo
      FROM (SELECT * FROM unnest(a_ids, a_dp, a_dpo, a_cp, a_cpo, o_dp, o_dpo, o_cp, o_cpo)
                           v(id, dp, dpo, cp, cpo, odp, odpo, ocp, ocpo) ORDER BY v.id) u
     WHERE a.id = u.id AND a.debits_pending = u.odp AND a.debits_posted = u.odpo
       AND a.credits_pending = u.ocp AND a.credits_posted = u.ocpo;
    GET DIAGNOSTICS cnt = ROW_COUNT;
    IF cnt < na THEN RAISE EXCEPTION 'an account moved since it was read' USING ERRCODE = 'LD003'; END IF;
  ELSE
    UPDATE ledger_accounts a SET debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp,
           credits_posted = u.cpo
      FROM unnest(a_ids, a_dp, a_dpo, a_cp, a_cpo, a_changed) u(id, dp, dpo, cp, cpo, changed)
     WHERE u.changed AND a.id = u.id;
  END IF;
  IF coalesce(array_length(fin_ids, 1), 0) > 0 THEN
    UPDATE ledger_transfers t SET state = u.state
      FROM unnest(p_ids, p_state, p_changed) u(id, state, changed) WHERE u.changed AND t.id = u.id;
    UPDATE ledger_transfers t SET amount = u.amount FROM unnest(fin_ids, fin_amts) u(id, amount) WHERE t.id = u.id;
  END IF;
  -- A refusal is remembered under its id as the one-by-one path stores it.
  IF coalesce(array_length(ref_idx, 1), 0) > 0 THEN
    UPDATE ledger_transfers t
       SET kind = x.kind, debit_account_id = x.dr, credit_account_id = x.cr,
           amount = coalesce(x.amt::numeric, 0)::bigint, currency = x.cur, state = 'done', expires_at = NULL,
           result = x.r
      FROM unnest(ids, kinds, drs, crs, amts, curs, results) x(id, kind, dr, cr, amt, cur, r)
     WHERE x.r <> 'ok' AND t.id = x.id;
  END IF;
  RETURN results;
END
$$;


-- As in 0006, with the optimistic attempt first (see the top of this file).
CREATE OR REPLACE FUNCTION ledger_create_transfers(batch jsonb) RETURNS TABLE (idx int, result text)
LANGUAGE plpgsql AS $$
DECLARE
  n int := jsonb_array_length(batch);
  results text[];
  acc jsonb;
  a_ids text[]; a_cur text[]; a_flags int[]; a_dp bigint[]; a_dpo bigint[]; a_cp bigint[]; a_cpo bigint[];
  ids text[];
  pids text[];
  wanted text[];
  simple boolean;
  done boolean := false;
BEGIN
  SELECT array_agg(e->>'id'), array_agg(e->>'pending_id') FILTER (WHERE e ? 'pending_id' AND e->>'pending_id' IS NOT NULL),
         NOT coalesce(bool_or((e->>'linked')::boolean), false)
    INTO ids, pids, simple FROM jsonb_array_elements(batch) e;
  simple := simple AND n > 0 AND (SELECT count(DISTINCT i) FROM unnest(ids) i) = n
            AND NOT (ids && coalesce(pids, '{}'));
  wanted := ARRAY(SELECT e->>'debit' FROM jsonb_array_elements(batch) e
                  UNION SELECT e->>'credit' FROM jsonb_array_elements(batch) e
                  UNION SELECT v.x FROM ledger_transfers lt,
                          LATERAL (VALUES (lt.debit_account_id), (lt.credit_account_id)) v(x)
                         WHERE lt.id = ANY (coalesce(pids, '{}')));
  IF simple THEN
    SELECT array_agg(l.id ORDER BY l.id), array_agg(l.currency ORDER BY l.id), array_agg(l.flags ORDER BY l.id),
           array_agg(l.debits_pending ORDER BY l.id), array_agg(l.debits_posted ORDER BY l.id),
           array_agg(l.credits_pending ORDER BY l.id), array_agg(l.credits_posted ORDER BY l.id)
      INTO a_ids, a_cur, a_flags, a_dp, a_dpo, a_cp, a_cpo
      FROM ledger_accounts l WHERE l.id = ANY (wanted);
    BEGIN -- one subtransaction: an attempt that does not hold leaves nothing
      results := ledger_batch_in_memory(batch, a_ids, a_cur, a_flags, a_dp, a_dpo, a_cp, a_cpo, true);
      done := true;
    EXCEPTION
      WHEN SQLSTATE 'LD003' OR deadlock_detected THEN NULL; -- moved or collided: take the locks
      WHEN SQLSTATE 'LD002' OR numeric_value_out_of_range THEN simple := false;
    END;
  END IF;
  IF done THEN
    RETURN QUERY SELECT (u.o - 1)::int, u.r FROM unnest(results) WITH ORDINALITY u(r, o) WHERE u.o <= n;
    RETURN;
  END IF;
  -- Lock every account the batch touches, in id order, before touching any: two batches that
  -- share an account queue here instead of deadlocking, and every check reads rows that nobody
  -- else can change until this transaction commits. Their ids are all ledger_apply may see.
  SELECT coalesce(jsonb_object_agg(l.id, l.o), '{}'), array_agg(l.id ORDER BY l.o), array_agg(l.currency ORDER BY l.o),
         array_agg(l.flags ORDER BY l.o), array_agg(l.debits_pending ORDER BY l.o), array_agg(l.debits_posted ORDER BY l.o),
         array_agg(l.credits_pending ORDER BY l.o), array_agg(l.credits_posted ORDER BY l.o)
    INTO acc, a_ids, a_cur, a_flags, a_dp, a_dpo, a_cp, a_cpo
    FROM (SELECT x.*, row_number() OVER (ORDER BY x.id) AS o FROM (
            SELECT * FROM ledger_accounts WHERE id = ANY (ARRAY(
                SELECT e->>'debit' FROM jsonb_array_elements(batch) e
                UNION SELECT e->>'credit' FROM jsonb_array_elements(batch) e
                UNION SELECT v.x FROM ledger_transfers lt,
                        LATERAL (VALUES (lt.debit_account_id), (lt.credit_account_id)) v(x)
                       WHERE lt.id = ANY (coalesce(pids, '{}'))))
             ORDER BY id FOR UPDATE) x) l;
  IF simple THEN
    BEGIN
      results := ledger_batch_in_memory(batch, a_ids, a_cur, a_flags, a_dp, a_dpo, a_cp, a_cpo, false);
    EXCEPTION WHEN SQLSTATE 'LD002' OR numeric_value_out_of_range THEN
      simple := false;
    END;
  END IF;
  IF NOT simple THEN
    BEGIN
      results := ledger_apply_chains(batch, acc, false);
    EXCEPTION WHEN numeric_value_out_of_range THEN
      results := ledger_apply_chains(batch, acc, true);
    END;
  END IF;
  RETURN QUERY SELECT (u.o - 1)::int, u.r FROM unnest(results) WITH ORDINALITY u(r, o) WHERE u.o <= n;
END
$$;
