"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from antre import create_app

app = create_app()
