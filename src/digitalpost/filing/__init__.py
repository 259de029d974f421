"""A person's folders, search index, deletion and retention: where each message of a mailbox is filed."""
