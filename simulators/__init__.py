"""Virtual devices that speak only the contract (devices/), a fleet runner, a load generator, `hamlet-sim`.

Imports `devices` and never `hub`: a simulated device must be replaceable by a real one.
"""
