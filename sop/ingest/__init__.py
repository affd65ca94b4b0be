"""Reading the sources and staging: SQL datasets renamed to the contract, then typed."""
