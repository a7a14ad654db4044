"""``python -m survey_service.cli``: the same as ``survey-service``."""

from survey_service.cli import main

main()
