"""The access log (访问记录): every read of a dossier, its materials, exports and audit pages, kept
append-only for at least 180 days and read back by auditors (docs/accesslog.md)."""
