"""Cross-border transfers: a move between local authorities, both told, a handover checklist."""
