"""Prefect flows: compose tasks, branch, nothing else."""
