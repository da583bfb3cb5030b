-- Group commit: post a batch of messages to one room in one call and one
-- transaction (the messages that queued up while the previous batch was being
-- written). Same rules as post_message(), applied per item in order; an item
-- that fails returns {"error": SQLSTATE-like code} and the others still go in.
CREATE FUNCTION post_messages(p_room bigint, p_senders text[], p_client_ids text[], p_bodies text[], p_parents bigint[])
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_offset bigint;
  v_row messages%ROWTYPE;
  v_out jsonb := '[]';
  i int;
BEGIN
  SELECT last_offset INTO v_offset FROM rooms WHERE id = p_room FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'room % not found', p_room USING ERRCODE = 'CH404';
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
    PERFORM 1 FROM members WHERE room_id = p_room AND user_name = p_senders[i];
    IF NOT FOUND THEN
      v_out := v_out || jsonb_build_array(jsonb_build_object('error', 'CH403'));
      CONTINUE;
    END IF;
    IF p_client_ids[i] IS NOT NULL THEN
      -- Sees earlier items of this batch too: a cid twice in one batch is one message.
      SELECT * INTO v_row FROM messages
        WHERE room_id = p_room AND sender = p_senders[i] AND client_id = p_client_ids[i];
      IF FOUND THEN
        v_out := v_out || jsonb_build_array(jsonb_build_object('duplicate', true, 'offset', v_row."offset",
          'createdAt', v_row.created_at, 'parent', v_row.parent));
        CONTINUE;
      END IF;
    END IF;
    IF p_parents[i] IS NOT NULL THEN
      PERFORM 1 FROM messages WHERE room_id = p_room AND "offset" = p_parents[i];
      IF NOT FOUND THEN
        v_out := v_out || jsonb_build_array(jsonb_build_object('error', 'CH422'));
        CONTINUE;
      END IF;
    END IF;
    v_offset := v_offset + 1;
    INSERT INTO messages (room_id, "offset", sender, client_id, parent, body)
      VALUES (p_room, v_offset, p_senders[i], p_client_ids[i], p_parents[i], p_bodies[i])
      RETURNING * INTO v_row;
    v_out := v_out || jsonb_build_array(jsonb_build_object('duplicate', false, 'offset', v_offset,
      'createdAt', v_row.created_at, 'parent', v_row.parent));
  END LOOP;
  UPDATE rooms SET last_offset = v_offset WHERE id = p_room;
  RETURN v_out;
END $$;
