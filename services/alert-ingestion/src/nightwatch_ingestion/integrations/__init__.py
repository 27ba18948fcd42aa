"""Integrations: the objects monitoring tools send to, each with its own key (issue #13)."""
