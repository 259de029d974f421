"""The pure domain: parties, the who-may-write policy, the error catalogue. No Django, no I/O."""
