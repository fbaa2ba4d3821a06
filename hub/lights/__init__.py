"""Street lights on the hub side, one subpackage per part with the service that runs them at the top
(service.py): commands (sent, followed to a confirmed state per light), schedules (rules resolved by the
shared hub/scheduling into each light's retained config), faults and energy. The lifecycle, progress,
counts and command store are the shared ones in hub/commands. Services talk to the Bus, never to paho."""
