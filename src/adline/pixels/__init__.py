"""Ad pixels: the network pixels a company's conversions are sent to (docs/pixels.md)."""
