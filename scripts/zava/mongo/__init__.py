"""Operating MongoDB: server kind, admin, indexes, change streams, the initial-sync trigger, the local server."""
