"""Accounts, sessions, invites, login rate limits and the audit log (issue 3). The API's access rules
live in hub/api/access.py; this package holds the state and the pure logic behind them."""
