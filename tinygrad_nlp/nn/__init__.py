"""Neural-network building blocks composed from the engine's ops."""
from . import functional

__all__ = ["functional"]
