"""The WSGI application for a production server: `gunicorn aftercare.wsgi:app`.

Settings come from the environment, as for `aftercare run`. Bring the database to the newest
schema first (`aftercare db upgrade`) and run reminders in their own `aftercare scheduler`
processes: web workers never send them. See README, "Production install on Debian".
"""

from aftercare import create_app
from aftercare.keys import prepare

app = create_app()
# Without production settings, a first start makes the keys it needs (a local trial). With
# them, the keys must be there already (`aftercare keys create`): a worker that made its own
# would sign nobody in and reach no phone.
prepare(app, make=app.config["MAKE_MISSING"])
