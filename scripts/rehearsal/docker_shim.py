#!/usr/bin/python3
"""`docker` as build.sh uses it, for the rehearsal: `login` succeeds and
`run [--rm] [--platform P] [--entrypoint E] [-e K=V ...] IMAGE args...` runs
the command in the app's directory the way the image would: with the image's
ENTRYPOINT (/entrypoint) unless --entrypoint replaces it, and with nothing
but the -e variables and a PATH on which python, celery and gunicorn are
Debian's. Anything else (a build) fails: the image is said to exist."""

import os
import sys

IMAGE_SCRIPTS = {
    "/entrypoint": "compose/production/django/entrypoint",
    "/start": "compose/production/django/start",
    "/start-celeryworker": "compose/production/django/start-celeryworker",
    "/start-celerybeat": "compose/production/django/start-celerybeat",
}


def fail(message):
    sys.stderr.write(f"docker (rehearsal shim): {message}\n")
    sys.exit(125)


def main(argv):
    if not argv:
        fail("no command")
    if argv[0] == "login":
        sys.stdin.read()
        print("Login Succeeded")
        return 0
    if argv[0] != "run":
        fail(f"unexpected `docker {' '.join(argv)}`: the fake registry says the image exists, so nothing is built")
    args, env, entrypoint = argv[1:], {}, None
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        name, _, value = flag.partition("=")
        if name in ("--rm", "-i", "-t", "-it", "--init"):
            continue
        if name in ("--platform", "--entrypoint", "-e", "--env", "--network", "--user", "-u", "-w", "--workdir"):
            if not _ and not args:
                fail(f"{flag} needs a value")
            value = value if _ else args.pop(0)
            if name == "--entrypoint":
                entrypoint = value
            elif name in ("-e", "--env"):
                key, eq, val = value.partition("=")
                env[key] = val if eq else os.environ.get(key, "")
            elif name in ("-w", "--workdir") and value != "/app":
                fail(f"workdir {value}: the app is at /app")
            continue
        fail(f"unsupported flag {flag}")
    if not args:
        fail("no image")
    image, command = args[0], args[1:]
    want = f"{os.environ['REPOSITORY_URI']}:{os.environ['IMAGE_TAG']}"
    if image != want:
        fail(f"image {image}, want the one build.sh built: {want}")
    command = ([entrypoint] if entrypoint else ["/entrypoint"]) + (command or ["/start"])
    app = os.environ["REHEARSAL_APP"]
    command = [os.path.join(app, IMAGE_SCRIPTS[c]) if c in IMAGE_SCRIPTS else c for c in command]
    with open(os.environ["REHEARSAL_DOCKER_LOG"], "a") as log:
        log.write("run " + " ".join(argv[1:]) + "\n")
    env["PATH"] = os.environ["REHEARSAL_SHIMS"] + ":/usr/bin:/bin"
    os.chdir(app)
    try:
        os.execvpe(command[0], command, env)
    except OSError as error:
        fail(f"cannot run {command[0]}: {error}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
