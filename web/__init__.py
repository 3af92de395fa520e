"""The web front end: server-rendered pages (Jinja2, the NHS.UK design system, htmx as an enhancement)
served by the API's own process under `/`. Pages call the same services, access rules and audit as the
HTTP API (`services/flows`, `services/people/access.py`); none is written twice here (docs/web.md)."""
