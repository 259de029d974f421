"""SQLite with writers queued on a file lock instead of SQLite's sleeping busy handler.

SQLite lets one writer at a time in; the others retry on a timer that sleeps up to 100 ms between tries,
so under load a waiting writer keeps missing the moment the lock is free and requests stall for seconds.
Every write transaction (BEGIN IMMEDIATE) first takes an exclusive `flock` on `<database>.writer-lock`,
which wakes the next writer the instant the previous one commits. Readers never wait (WAL).
"""
