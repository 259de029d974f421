"""Every write to messages, one use case per module: ingest, delivery, reading, events."""
