"""Identity keeps no projections: it owns its source tables (accounts, organisations, roles,
memberships, sanctions) and answers queries from them directly."""
