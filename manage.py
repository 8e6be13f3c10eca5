#!/usr/bin/env python
import os
import sys

# Files EpiCommand writes (the SQLite database, uploads, secrets under var/) hold health data:
# readable by the service's own account only.
os.umask(0o077)

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epicommand.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
