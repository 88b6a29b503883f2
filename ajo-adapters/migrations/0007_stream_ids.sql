-- Listing the streams of a kind (groups by status, say) pages through each stream's first
-- event in the byte order of its id.
CREATE INDEX events_stream_ids ON events (stream_kind, stream_id COLLATE "C") WHERE version = 1;
