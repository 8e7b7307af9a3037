"""Repositories: one per aggregate, the only place queries are written."""
