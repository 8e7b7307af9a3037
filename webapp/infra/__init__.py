"""What the app runs on: settings, the Flask extensions (created unbound), logging,
metrics, SQLite settings, the preflight check, the rate limiter and the mail file backend."""
