# The app image used by compose.yaml: the package and its dependencies, run as a user without
# privileges. Survey files are mounted at /srv/forms; the database is PostgreSQL.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/app
COPY pyproject.toml README.md ./
COPY survey_service ./survey_service
COPY templates ./templates
RUN pip install . && useradd --system --home /srv survey
USER survey
WORKDIR /srv
EXPOSE 8000
CMD ["survey-service", "serve", "--host", "0.0.0.0", "--port", "8000"]
