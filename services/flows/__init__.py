"""Flows that cross domains: what one change sets going in several."""
