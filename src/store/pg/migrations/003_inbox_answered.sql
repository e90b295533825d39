-- An update whose reply went out (answered_at) but whose handler has not ended keeps its chat:
-- the chat's next update waits until done_at, so per-chat order holds across instances. If the
-- instance dies in between, the next claim completes it (done_at = answered_at) instead of handling
-- it again.
ALTER TABLE inbox ADD COLUMN answered_at text COLLATE "C";
