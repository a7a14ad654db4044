"""survey_service: citizen and staff surveys with before/after service-quality indicators."""

__version__ = "0.1.0"
