"""Review's rules, pure — no database, no clock, no other service: who sees which dossier (scoping),
the working-day calendar (workdays), unit publicity and the batch (unit_publicity), what a decision
asks of the dossier (decisions), the resubmission deadline (deadlines), committees, the expert draw,
the secret ballot, and publicity with its objections. The use cases (services/review/cases/) load
data, ask these modules, and record the answer."""
