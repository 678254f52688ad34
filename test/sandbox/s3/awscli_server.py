# Runs AWS CLI commands in one long-lived Python process: the CLI's own driver (awscli.clidriver),
# its parsers and its JSON output, without paying the interpreter's start-up per command.
# Protocol: one JSON request per stdin line {"args": [...], "env": {...}}; one JSON answer per
# stdout line {"code": int, "stdout": str, "stderr": str}.
import contextlib
import io
import json
import os
import sys

from awscli.clidriver import create_clidriver

real_stdout = sys.stdout
drivers = {}  # one driver (botocore session) per environment: credentials are read once per session
for line in sys.stdin:
    req = json.loads(line)
    # AWS_DATA_PATH is the CLI's own (set by `import awscli`); everything else comes from the request.
    for k in [k for k in os.environ if k.startswith("AWS_") and k != "AWS_DATA_PATH"]:
        del os.environ[k]
    os.environ.update(req["env"])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            key = json.dumps(req["env"], sort_keys=True)
            if key not in drivers:
                drivers[key] = create_clidriver()
            code = drivers[key].main(req["args"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    real_stdout.write(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    real_stdout.flush()
