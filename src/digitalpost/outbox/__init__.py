"""The outbox: a work table claimed by workers, with leases, back-off and dead letters."""
