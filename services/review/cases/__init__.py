"""Review's use cases, one class per area. Each is handed what it uses — the database engine, the
clock, the settings, the queue rows, the dossier and identity ports, the cases of other areas it
builds on — and ``application.Review`` wires them together. A use case checks the caller and review's
rules (``domain/``), asks the dossier service to record, then keeps what the dossier answered."""
