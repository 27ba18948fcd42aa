"""Alert correlation: which incident each alert joins, decided in the transaction that knows
whether that incident is still open (docs/architecture.md, "One owner for correlation")."""
