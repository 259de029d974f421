"""Sender systems: the machines that send for an authority, and their API tokens."""
