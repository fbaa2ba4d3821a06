"""The live feed: domain events fanned out to browsers as server-sent events (hub/api/events.py serves it)."""
