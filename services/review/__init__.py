"""评审服务 review: work queues, batches, committees, expert draw, secret ballot, publicity (issue 5; not built yet)."""
