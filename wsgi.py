"""The WSGI entry point: `gunicorn wsgi:app`, and `flask` finds it through .flaskenv."""

from dotenv import load_dotenv

load_dotenv()  # a .env file, when present, fills in what the environment leaves unset

from webapp import create_app  # noqa: E402

app = create_app()
