"""评审服务 review: scoped work queues, decisions and batches, the working-day calendar, deadlines,
committees, the expert draw, the secret ballot, publicity and objections (issue 5). See docs/review.md."""
