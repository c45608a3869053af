"""Placeholder: this module's pages are being written (docs/targets.md)."""

urlpatterns: list = []
