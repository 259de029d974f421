"""Messages, their documents, the hash-chained event log per message, and receipts."""
