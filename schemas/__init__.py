"""Models, settings and checklist templates that the service, worker and bot share.

This package imports nothing else of ours, so every part of liaison can depend on it.
"""
