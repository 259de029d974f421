"""The inbound SMTP gateway: SMTP session handling only (aiosmtpd), then one service call per mail."""
