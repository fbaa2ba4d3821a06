"""Street lights on the hub side: schedules (pure resolution), commands with confirmed lifecycles,
schedule pushes as retained configs, faults and energy. Services talk to the Bus, never to paho."""
