-- Lists shown newest first (the desk, /review) sort by (submitted_at DESC, ref ASC): ties are broken
-- by ref ascending in both directions, which a backward scan of the ascending indexes cannot give.
CREATE INDEX declarations_submitted_desc ON declarations (submitted_at DESC, ref);
CREATE INDEX declarations_status_submitted_desc ON declarations (status, submitted_at DESC, ref);
CREATE INDEX declarations_updated_desc ON declarations (updated_at DESC, ref);
