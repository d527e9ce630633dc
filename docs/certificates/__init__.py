"""Sample court certificates, one per outcome (make certificate-samples)."""
