"""The kernel: database, clock, errors, identity, audit trail, chronology, working calendar."""
