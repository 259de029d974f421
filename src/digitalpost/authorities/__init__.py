"""Authorities (organisations identified by CVR) and what they are permitted to send."""
