"""One router module per resource of the sender API."""
