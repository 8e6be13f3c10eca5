#!/usr/bin/env bash
# Starts the web server and the task worker side by side; Ctrl-C stops both.
set -uo pipefail
: "${PORT:=8000}" "${PY:=.venv/bin/python}"
# A demo server has no SMS gateway or Zalo account: their messages are printed here instead of failing.
export EPICOMMAND_NOTIFY_CONSOLE_FALLBACK="${EPICOMMAND_NOTIFY_CONSOLE_FALLBACK:-1}"
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop INT TERM EXIT
"$PY" manage.py db_worker --interval 1 &
pids+=($!)
# Notification retries fall due at their own times: a light loop delivers whatever is due.
"$PY" manage.py notify_deliver --loop --interval 10 &
pids+=($!)
# Home patients without an entry for too long alert their health worker.
"$PY" manage.py home_no_entry_alerts --loop 1800 > /dev/null &
pids+=($!)
echo
echo "EpiCommand: http://127.0.0.1:${PORT}/"
[ -f var/demo_logins.txt ] && cat var/demo_logins.txt
echo "Ctrl-C stops the server and the worker."
echo
"$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
