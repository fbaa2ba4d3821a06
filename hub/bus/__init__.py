"""The message bus the services talk to: MQTT (paho) in production, in-memory for unit tests."""
