"""Every write of filing: folders and moves (folders), the search index (indexing), removal (retention)."""
