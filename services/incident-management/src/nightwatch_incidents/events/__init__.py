"""Push updates: database change signals streamed to browsers as server-sent events."""
