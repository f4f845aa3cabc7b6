"""The live store dashboard: its reads and writes, the change-stream feed, and the HTTP server with its page."""
