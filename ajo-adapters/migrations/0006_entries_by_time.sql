-- Reports and reconciliation read the journal by posting time.
CREATE INDEX journal_entries_posted_at ON journal_entries (posted_at);
