"""Plumbing shared by every app and tied to no part of the domain: no models live here."""
