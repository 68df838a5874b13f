"""Reports over the stats store: `GET /ad_reports` and `GET /stats/time_series`."""
