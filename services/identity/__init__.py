"""Identity: accounts, organisations, roles, credentials and sanctions; issues access tokens."""
