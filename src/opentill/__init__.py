"""OpenTill: point-of-sale sessions, cash close and accounting."""

__version__ = "0.1.0"
