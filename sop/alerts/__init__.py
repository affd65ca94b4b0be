"""Alerts: the rules by domain, their life cycle, and pushing each once."""
