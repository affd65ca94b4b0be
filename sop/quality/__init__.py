"""The data-quality gate: GX suites, cross-dataset checks, quarantine, reports, history."""
