"""缴费服务 payment: fee schedules, review-fee orders, the provider adapter and simulator, the ledger (docs/payment.md)."""
