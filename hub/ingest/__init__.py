"""Ingest: validate -> live registry -> durable outbox -> acknowledge -> writers drain to the store."""
