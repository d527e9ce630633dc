"""Documents and the scripts that regenerate them (samples rendered from the real app)."""
