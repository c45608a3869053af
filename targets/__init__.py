"""The year around the meeting: targets (目标 / 指标) and how they are scored (docs/targets.md).

``targets.engine`` is the pure computation, below everything like ``scoring.engine``; the app
that stores targets, reports and notices around it sits beside the meeting and the projects.
"""
