"""Light commands: the request and the command as kept (model), the service that sends them and follows
each light to a confirmed state, the roll-up told in words, and overrides with a duration. The lifecycle,
progress, counts and store are the shared ones in hub/commands."""
