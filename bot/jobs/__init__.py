"""Work the bot does on its own: the outbox sender (`sender`), the schedule (`schedule`: digest, nudges,
start and stop), and the organisers' periodic work (`organiser`)."""
