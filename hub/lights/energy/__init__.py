"""Light energy: pure arithmetic over telemetry samples and roll-ups in kWh and đồng (meter), and the
service that sums them per light and local day."""
