"""Connections: a company's real ad-network accounts (`network_connections`, Adline's own
resource) and the pages and profiles its ads run under (`/external_accounts`, ids `sacc_`).
See docs/connections.md."""
