"""What every service truly shares: config, the bus contract, identity numbers, errors, roles."""
