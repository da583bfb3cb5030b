-- Group commit across rooms (writer.ts): the messages queued for any number of rooms, posted in one
-- call and one transaction. Each call has a fixed cost (on PGlite more than a few inserts), and so
-- does each statement, so the checks are set-based: one statement each for all the items, however
-- many rooms they are for, and one INSERT for every accepted item. post_messages() (one room a call,
-- a statement per item) stays for nodes of the previous version during a rolling deploy.
--
-- Items arrive grouped by room, rooms in ascending id order, and the rooms' counter rows are locked
-- in that order, so two nodes' batches never deadlock. Per item, the rules of post_messages(): the
-- sender must be a member; a known (room, sender, cid) is the same message (a resend), also when it
-- is an earlier item of this batch; a thread parent must exist (stored, or an earlier item of this
-- batch). An item that fails fails alone; a room that does not exist (deleted) fails its own items.
-- Offsets are handed out per room in item order, dense as always.
--
-- Returns {"at": the transaction's timestamp (every new row's created_at),
--          "offsets": [the offset of each item, null when it was not inserted],
--          "errors": {"item index, 1-based": "CH403" | "CH404" | "CH422"},
--          "duplicates": {"item index": {"offset", "createdAt", "parent"}}}.
CREATE FUNCTION post_batch(p_rooms bigint[], p_senders text[], p_client_ids text[], p_bodies text[], p_parents bigint[])
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  n int := coalesce(array_length(p_bodies, 1), 0);
  v_offs bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_errs jsonb := '{}';
  v_dups jsonb := '{}';
  v_ids bigint[];
  v_heads bigint[];
  v_new_heads bigint[];
  v_member boolean[];
  v_known jsonb;
  v_orphan boolean[];
  v_first_of int[];
  v_room bigint := NULL;
  v_r int := 0;
  v_head bigint;
  v_offset bigint;
BEGIN
  -- Lock the counters of every room of the batch, in id order.
  SELECT coalesce(array_agg(x.id ORDER BY x.id), '{}'), coalesce(array_agg(x.last_offset ORDER BY x.id), '{}')
    INTO v_ids, v_heads
    FROM (SELECT id, last_offset FROM rooms WHERE id = ANY (p_rooms) ORDER BY id FOR UPDATE) x;
  v_new_heads := v_heads;
  SELECT array_agg(EXISTS (SELECT 1 FROM members m WHERE m.room_id = t.r AND m.user_name = t.s) ORDER BY t.i)
    INTO v_member
    FROM unnest(p_rooms, p_senders) WITH ORDINALITY AS t(r, s, i);
  IF cardinality(array_remove(p_client_ids, NULL)) > 0 THEN
    -- Messages already stored under a (room, sender, cid) of this batch: resends.
    SELECT jsonb_object_agg(t.i, jsonb_build_object('offset', m."offset", 'createdAt', m.created_at, 'parent', m.parent))
      INTO v_known
      FROM unnest(p_rooms, p_senders, p_client_ids) WITH ORDINALITY AS t(r, s, c, i)
      JOIN messages m ON m.room_id = t.r AND m.sender = t.s AND m.client_id = t.c;
    -- The first item with each (room, sender, cid): a later one is a resend inside the batch.
    SELECT array_agg(x.f ORDER BY x.i) INTO v_first_of FROM (
      SELECT t.i, CASE WHEN t.c IS NULL THEN t.i ELSE min(t.i) OVER (PARTITION BY t.r, t.s, t.c) END AS f
      FROM unnest(p_rooms, p_senders, p_client_ids) WITH ORDINALITY AS t(r, s, c, i)) x;
  END IF;
  IF cardinality(array_remove(p_parents, NULL)) > 0 THEN
    -- Replies to a message not stored before this batch (it may still be an earlier item of it).
    SELECT array_agg(t.p IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM messages m WHERE m.room_id = t.r AND m."offset" = t.p) ORDER BY t.i)
      INTO v_orphan
      FROM unnest(p_rooms, p_parents) WITH ORDINALITY AS t(r, p, i);
  END IF;
  FOR i IN 1 .. n LOOP
    IF p_rooms[i] IS DISTINCT FROM v_room THEN
      IF v_room IS NOT NULL AND v_r > 0 THEN
        v_new_heads[v_r] := v_offset;
      END IF;
      v_room := p_rooms[i];
      v_r := coalesce(array_position(v_ids, v_room), 0);
      v_head := v_heads[v_r];
      v_offset := v_head;
    END IF;
    IF v_r = 0 THEN
      v_errs := v_errs || jsonb_build_object(i::text, 'CH404');
      CONTINUE;
    END IF;
    IF NOT v_member[i] THEN
      v_errs := v_errs || jsonb_build_object(i::text, 'CH403');
      CONTINUE;
    END IF;
    IF v_known ? i::text THEN
      v_dups := v_dups || jsonb_build_object(i::text, v_known -> i::text);
      CONTINUE;
    END IF;
    IF v_first_of IS NOT NULL AND v_first_of[i] <> i THEN
      -- A resend inside the batch: the same message as the last earlier item stored with its cid.
      FOR k IN REVERSE i - 1 .. v_first_of[i] LOOP
        IF v_offs[k] IS NOT NULL AND p_senders[k] = p_senders[i] AND p_client_ids[k] = p_client_ids[i] THEN
          v_dups := v_dups || jsonb_build_object(i::text,
            jsonb_build_object('offset', v_offs[k], 'createdAt', now(), 'parent', p_parents[k]));
          EXIT;
        END IF;
      END LOOP;
      IF v_dups ? i::text THEN
        CONTINUE;
      END IF;
    END IF;
    IF v_orphan IS NOT NULL AND v_orphan[i] AND NOT (p_parents[i] > v_head AND p_parents[i] <= v_offset) THEN
      v_errs := v_errs || jsonb_build_object(i::text, 'CH422');
      CONTINUE;
    END IF;
    v_offset := v_offset + 1;
    v_offs[i] := v_offset;
  END LOOP;
  IF v_r > 0 THEN
    v_new_heads[v_r] := v_offset;
  END IF;
  INSERT INTO messages (room_id, "offset", sender, client_id, parent, body)
    SELECT t.r, t.o, t.s, t.c, t.p, t.b
    FROM unnest(p_rooms, v_offs, p_senders, p_client_ids, p_parents, p_bodies) AS t(r, o, s, c, p, b)
    WHERE t.o IS NOT NULL;
  UPDATE rooms SET last_offset = h.head
    FROM unnest(v_ids, v_heads, v_new_heads) AS h(id, old, head)
    WHERE rooms.id = h.id AND h.head > h.old;
  RETURN jsonb_build_object('at', now(), 'offsets', to_jsonb(v_offs), 'errors', v_errs, 'duplicates', v_dups);
END $$;
