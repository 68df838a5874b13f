"""Meta (Facebook/Instagram) over the Graph Marketing API: a thin async client, pure
mappers between Adline's specs and Meta's payloads, and the `PlatformAdapter` on top.
docs/networks-meta.md describes the choices."""

from adline.networks.meta.adapter import MetaAdapter, create_meta_adapter
from adline.networks.meta.client import DEFAULT_API_VERSION, DEFAULT_GRAPH_URL, MetaGraphClient

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_GRAPH_URL",
    "MetaAdapter",
    "MetaGraphClient",
    "create_meta_adapter",
]
