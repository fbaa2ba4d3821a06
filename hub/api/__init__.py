"""The HTTP API: one router per resource, thin; the work is in hub services and pure functions."""
