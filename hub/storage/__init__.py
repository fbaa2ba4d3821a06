"""Telemetry stores behind one interface: embedded SQLite, InfluxDB 1.x (v1 HTTP API), InfluxDB 2.x/3.x."""
