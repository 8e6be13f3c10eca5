import os

from django.core.wsgi import get_wsgi_application

# Files EpiCommand writes (the SQLite database, uploads, secrets under var/) hold health data:
# readable by the service's own account only.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epicommand.settings")
application = get_wsgi_application()
