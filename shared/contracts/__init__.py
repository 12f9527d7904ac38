"""What one service publishes and others rely on, one module per publishing service (DESIGN.md,
"Contracts"): a service or the gateway imports these instead of another service's code."""
