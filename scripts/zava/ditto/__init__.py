"""The Ditto side: connector mapping, DQL, the HTTP API and a local Ditto store."""
