"""Plumbing shared by every app and tied to no part of the domain. Its one model,
``RenderJob``, is a file being made off the request; what the file is about is the app's
business (docs/architecture.md, "What lives in core")."""
