"""The device contract: topics, payload models and the site inventory. Pure: no I/O beyond reading a file."""
