"""The ads manager in the browser, server-rendered by the API process (docs/web.md)."""
