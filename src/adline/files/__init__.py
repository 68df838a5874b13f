"""Files: uploaded images, videos and music that ads' creatives reference, and the customer
lists (CSV) audiences read (docs/files.md)."""
