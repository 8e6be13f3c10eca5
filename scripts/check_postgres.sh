#!/usr/bin/env bash
# Fails loudly when PostgreSQL cannot be reached: the suite must run on both databases, and
# under CI=true a missing server is a failure, never a quiet skip.
set -uo pipefail
if "$PY" - "$PG_URL" <<'PYEOF'
import sys, psycopg
url = sys.argv[1]
base = url.rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(base, connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {base}: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
then
  exit 0
fi
echo "The PostgreSQL half of the suite cannot run. Start the server (see README.md) and retry." >&2
exit 1
