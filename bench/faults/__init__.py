"""Fault suite: an isolated platform (its own RabbitMQ node, PostgreSQL cluster, Redis, S3 and gateway
ports) under concurrent writes while the broker stops, processes are killed, PostgreSQL restarts, and
reviewers decide the same dossier at the same moment. Run with ``python -m bench.faults`` (see
docs/faults.md); it is a measurement, not a test, and is not part of ``make test``."""
