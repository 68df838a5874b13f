"""Files: uploaded images, videos and music that ads' creatives reference (docs/files.md)."""
