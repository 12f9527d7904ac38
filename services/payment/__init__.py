"""缴费服务 payment: fee schedules, orders, provider adapter, ledger (issue 6; not built yet)."""
