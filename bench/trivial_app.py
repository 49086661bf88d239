"""The framework's ceiling: a Flask app that does nothing, served by the same gunicorn config.

    gunicorn -c gunicorn.conf.py bench.trivial_app:app
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok")
