"""The liaison checklist service: FastAPI app, domain services and the data store."""
