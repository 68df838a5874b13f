"""Ad delivery: the platform adapter interface and the built-in simulated ad network."""
