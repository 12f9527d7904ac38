"""What one service publishes and others rely on, one module per publishing service (docs/architecture.md,
"The contracts"): a service or the gateway imports these instead of another service's code."""
