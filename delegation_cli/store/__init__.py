"""Store: the convention file, the ledger file and the one read path, imports and writes."""
