"""Coordination items: the model, the store, reminders, and drafting one from an alert."""
