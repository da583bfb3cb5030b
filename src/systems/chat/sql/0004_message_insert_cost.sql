-- What each new message row pays for on insert (post_batch() inserts a commit's rows in one
-- statement, so per-row costs are most of what is left). Two of those costs bought nothing:
--
-- 1. The foreign key to rooms: its check is one more query per inserted row. Every path that
--    inserts a message (post_message, post_messages, post_batch) holds the room's counter row
--    locked FOR UPDATE in the same transaction, and a room's deletion must take that lock too, so
--    the room exists for as long as the insert's transaction does. Deleting a room now deletes its
--    messages itself (rooms.store.ts: the room row first, so a concurrent post waits and then finds
--    no room; then its messages, whose reactions still cascade).
-- 2. The unique (room, sender, client_id) constraint indexed rows without a client id too, which
--    can never conflict (NULLs are distinct). A partial unique index on the rows that have one
--    enforces the same rule, and the lookups of resends (client_id = ...) can use it.
--
-- Measured on PGlite with post_batch() calls of 32 messages over 4 rooms: 13-27% less per call.
ALTER TABLE messages DROP CONSTRAINT messages_room_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_room_id_sender_client_id_key;
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender, client_id) WHERE client_id IS NOT NULL;
