"""Pure wire formats: bytes in, values out. Never import Django."""
