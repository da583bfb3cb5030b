-- Chat: users (token subjects), rooms with a per-room offset counter, members
-- with their read position, messages and their changes (one offset sequence per
-- room), reactions. Offsets are allocated under the room row's lock inside the
-- writing transaction, so they are dense (no gaps: a rollback returns the
-- number) and a transaction holding offset N commits before N+1 is handed out.

-- Token subjects seen by this system (created on first authenticated request).
CREATE TABLE users (
  name text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rooms (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('public', 'private', 'direct')),
  name text NOT NULL,
  topic text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  -- The two user names of a direct room, sorted and joined: one direct room per pair.
  direct_key text UNIQUE,
  -- The last offset handed out in this room; the counter row every room write locks.
  last_offset bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rooms_public ON rooms (id) WHERE kind = 'public';

CREATE TABLE members (
  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_name text NOT NULL,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
  -- Read receipt: the highest offset this member has read.
  last_read_offset bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_name)
);
CREATE INDEX members_by_user ON members (user_name, room_id);

CREATE TABLE messages (
  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  sender text NOT NULL,
  -- Chosen by the client: a re-sent message with the same id is the same message.
  client_id text,
  -- Thread: the offset of the message this one replies to.
  parent bigint,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED,
  PRIMARY KEY (room_id, "offset"),
  UNIQUE (room_id, sender, client_id)
);
CREATE INDEX messages_thread ON messages (room_id, parent, "offset") WHERE parent IS NOT NULL;
CREATE INDEX messages_tsv ON messages USING gin (tsv);

-- Every room event other than a new message (edit, delete, react, unreact, join,
-- leave), on the same offset sequence. Edits and deletes keep the previous body:
-- this table is the history of each message.
CREATE TABLE room_events (
  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('edit', 'delete', 'react', 'unreact', 'join', 'leave')),
  user_name text NOT NULL,
  -- The message an edit, delete or reaction applies to.
  target bigint,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, "offset")
);
CREATE INDEX room_events_target ON room_events (room_id, target) WHERE target IS NOT NULL;

CREATE TABLE reactions (
  room_id bigint NOT NULL,
  message_offset bigint NOT NULL,
  user_name text NOT NULL,
  emoji text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, message_offset, emoji, user_name),
  FOREIGN KEY (room_id, message_offset) REFERENCES messages (room_id, "offset") ON DELETE CASCADE
);

-- The dev token issuer's signing key (one row; every node signs and verifies with it).
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Post a message in one round trip: lock the room's counter, check membership,
-- return the existing message when (room, sender, client_id) was already sent,
-- else take the next offset and insert. Errors carry SQLSTATE codes the service
-- maps to protocol errors: CH404 room, CH403 not a member, CH422 bad parent.
CREATE FUNCTION post_message(p_room bigint, p_sender text, p_client_id text, p_body text, p_parent bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_offset bigint;
  v_row messages%ROWTYPE;
BEGIN
  SELECT last_offset INTO v_offset FROM rooms WHERE id = p_room FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'room % not found', p_room USING ERRCODE = 'CH404';
  END IF;
  PERFORM 1 FROM members WHERE room_id = p_room AND user_name = p_sender;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'not a member of room %', p_room USING ERRCODE = 'CH403';
  END IF;
  IF p_client_id IS NOT NULL THEN
    -- Read after taking the lock: a concurrent send of the same id has committed by now.
    SELECT * INTO v_row FROM messages
      WHERE room_id = p_room AND sender = p_sender AND client_id = p_client_id;
    IF FOUND THEN
      RETURN jsonb_build_object('duplicate', true, 'offset', v_row."offset",
        'createdAt', v_row.created_at, 'parent', v_row.parent);
    END IF;
  END IF;
  IF p_parent IS NOT NULL THEN
    PERFORM 1 FROM messages WHERE room_id = p_room AND "offset" = p_parent;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no message % in room %', p_parent, p_room USING ERRCODE = 'CH422';
    END IF;
  END IF;
  v_offset := v_offset + 1;
  UPDATE rooms SET last_offset = v_offset WHERE id = p_room;
  INSERT INTO messages (room_id, "offset", sender, client_id, parent, body)
    VALUES (p_room, v_offset, p_sender, p_client_id, p_parent, p_body)
    RETURNING * INTO v_row;
  RETURN jsonb_build_object('duplicate', false, 'offset', v_offset,
    'createdAt', v_row.created_at, 'parent', v_row.parent);
END $$;

-- Append a non-message room event under the room's counter lock; returns its offset.
-- The caller runs it in the transaction that made the change it records.
CREATE FUNCTION append_event(p_room bigint, p_kind text, p_user text, p_target bigint, p_data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_offset bigint;
BEGIN
  UPDATE rooms SET last_offset = last_offset + 1 WHERE id = p_room RETURNING last_offset INTO v_offset;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'room % not found', p_room USING ERRCODE = 'CH404';
  END IF;
  INSERT INTO room_events (room_id, "offset", kind, user_name, target, data)
    VALUES (p_room, v_offset, p_kind, p_user, p_target, p_data);
  RETURN v_offset;
END $$;
