"""The top-level templates/ folder ships inside the package as ``survey_service.templates``
(pyproject.toml holds everything else)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["survey_service*"]), "survey_service.templates"],
    package_dir={"survey_service.templates": "templates"},
)
