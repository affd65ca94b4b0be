"""Demand history and the rolling forecast: series, models, hierarchy, reconciliation, customer split, accuracy."""
