"""Light schedules: the rules a head writes (brightness over the night), resolved by the shared
hub/scheduling into each light's retained config; presets, the config ledger and the service."""
