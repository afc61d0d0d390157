"""The line server of the bench comparison scripts (bench/pyServer.ts is its client): one JSON request per line
on stdin, one JSON answer per line on stdout; a failed request answers {"error": ...} so the harness never
waits forever."""
import json
import sys


def serve(handle):
    """Answers every stdin line with handle(request) (a dict), or with the error it raised."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            out = handle(json.loads(line))
        except Exception as e:  # noqa: BLE001 - every failure becomes an answer
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
