"""Shared command handling for every service that commands devices (street lights, loudspeakers): the
lifecycle per target device, each device's progress, the roll-up counts and the store that keeps commands
across restarts. What a command asks and how it is told to people stay in the domain's package."""
