"""The `sop` command line: thin argument parsing around the flows."""
