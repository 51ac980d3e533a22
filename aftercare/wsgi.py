"""The WSGI application for a production server: `gunicorn aftercare.wsgi:app`.

Settings come from the environment, as for `aftercare run`. Bring the database to the newest
schema first (`aftercare db upgrade`) and run reminders in their own `aftercare scheduler`
processes: web workers never send them. See README, "Production layout".
"""

from aftercare import create_app

app = create_app()
