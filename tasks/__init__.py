"""Prefect tasks: thin wrappers (retries, caching, artifacts, logging) around sop/."""
