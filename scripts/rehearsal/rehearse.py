"""The rehearsal: runs the app's container contract with real processes.

Reads the synthesized templates of a cloud assembly, resolves every task
definition's environment and secrets from their definitions, starts a real
PostgreSQL (TLS) and a real Redis (TLS + AUTH), then runs the migration, the
web server, the workers and beat, the pipeline's build step and the
queue-metrics function the way AWS would, and checks what each must do.

Run with Debian's /usr/bin/python3 (it needs python3-psycopg2 and
python3-redis); see scripts/rehearse.
"""

import argparse
import http.server
import ipaddress
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
STEPS = 8
# The image's ENV (compose/production/django/Dockerfile), which the task's
# environment comes on top of.
IMAGE_ENV = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
# Where the image keeps its scripts, and where they are in the app's tree.
IMAGE_SCRIPTS = {
    "/entrypoint": "compose/production/django/entrypoint",
    "/start": "compose/production/django/start",
    "/start-celeryworker": "compose/production/django/start-celeryworker",
    "/start-celerybeat": "compose/production/django/start-celerybeat",
}
QUEUE_DEPTH = 7  # messages left waiting for step 7, per queue


class StepFailed(Exception):
    def __init__(self, message, log=None):
        super().__init__(message)
        self.log = log


def say(text):
    print(text, flush=True)


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)\n"


# -- processes -------------------------------------------------------------
class Processes:
    """Every process the rehearsal starts, each in its own process group."""

    def __init__(self, logs):
        self.logs = logs
        self.running = []  # (name, Popen, stop signal)

    def start(self, name, argv, env, cwd, stop_signal=signal.SIGTERM, **kwargs):
        log = os.path.join(self.logs, name + ".log")
        out = open(log, "ab")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        out.close()
        proc.log = log
        proc.name = name
        self.running.append((name, proc, stop_signal))
        return proc

    def run(self, name, argv, env, cwd, timeout, **kwargs):
        proc = self.start(name, argv, env, cwd, **kwargs)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            raise StepFailed(f"{name}: still running after {timeout} s", proc.log)
        self.running = [r for r in self.running if r[1] is not proc]
        return proc

    def stop(self, proc, grace=10):
        for entry in [r for r in self.running if r[1] is proc]:
            self._stop(*entry, grace=grace)
            self.running.remove(entry)

    def _stop(self, name, proc, sig, grace):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # children left in the group (gunicorn workers, celery pool)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            say(f"    warning: {name} (pid {proc.pid}) did not stop")

    def stop_all(self):
        for entry in reversed(self.running):
            self._stop(*entry, grace=10)
        self.running = []


def free_address(port, avoid=()):
    """A loopback address (127.x.y.z) on which port is free."""
    rng = random.Random()
    for _ in range(50):
        host = f"127.{rng.randint(1, 250)}.{rng.randint(0, 250)}.{rng.randint(2, 250)}"
        if host in avoid:
            continue
        with socket.socket() as s:
            try:
                s.bind((host, port))
                return host
            except OSError:
                continue
    raise StepFailed(f"no loopback address has port {port} free")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout, proc=None, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StepFailed(f"{proc.name} exited with {proc.returncode} while waiting for {what}", proc.log)
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - reported on timeout
            last = error
        time.sleep(interval)
    raise StepFailed(f"{what}: not within {timeout} s" + (f" (last error: {last})" if last else ""),
                     proc.log if proc is not None else None)


# -- the assembly's tasks ----------------------------------------------------
class Task:
    def __init__(self, stack, lid, container):
        self.stack, self.lid, self.container = stack, lid, container
        self.command = container.get("Command") or []
        self.env = {}
        self.secret_names = []
        self.kind = "other"
        self.queues = []
        self.port = None

    def __str__(self):
        return f"{self.kind} ({self.lid}: {shlex.join(str(c) for c in self.command)})"


def find_tasks(stacks, container_name="django"):
    tasks = []
    for stack in stacks.values():
        for lid, res in stack.of_type("AWS::ECS::TaskDefinition").items():
            for container in res["Properties"].get("ContainerDefinitions", []):
                if container.get("Name") == container_name:
                    tasks.append(Task(stack, lid, container))
    if not tasks:
        raise StepFailed(f"no task definition has a container named {container_name}")
    compute = tasks[0].stack
    web_path = None
    for lid, svc in compute.of_type("AWS::ECS::Service").items():
        props = svc["Properties"]
        td = props.get("TaskDefinition", {}).get("Ref")
        for lb in props.get("LoadBalancers", []):
            if lb.get("ContainerName") != container_name:
                continue
            for task in tasks:
                if task.lid == td:
                    task.kind, task.port = "web", int(lb["ContainerPort"])
                    tg = lb.get("TargetGroupArn", {}).get("Ref")
                    group = compute.resources.get(tg, {}).get("Properties", {})
                    if "HealthCheckPath" not in group:
                        raise StepFailed(f"target group {tg} of the web service has no HealthCheckPath")
                    web_path = group["HealthCheckPath"]
    for task in tasks:
        words = [str(w) for w in task.command]
        if task.kind == "web":
            continue
        if "worker" in words or "/start-celeryworker" in words:
            task.kind = "worker"
            for i, w in enumerate(words):
                if w.startswith("--queues="):
                    task.queues += w.split("=", 1)[1].split(",")
                elif w in ("-Q", "--queues") and i + 1 < len(words):
                    task.queues += words[i + 1].split(",")
            task.queues = task.queues or ["celery"]
        elif "beat" in words or "/start-celerybeat" in words:
            task.kind = "beat"
        elif "collectstatic" in words:
            task.kind = "collectstatic"
        elif "migrate" in words:
            task.kind = "migration"
    kinds = [t.kind for t in tasks]
    for needed in ("web", "worker", "beat", "migration"):
        if needed not in kinds:
            raise StepFailed(f"no {needed} task definition found (found: {', '.join(str(t) for t in tasks)})")
    return tasks, web_path


def resolve_env(resolver, task):
    env = {}
    for item in task.container.get("Environment", []):
        env[item["Name"]] = str(resolver.evaluate(task.stack, item["Value"]))
    for item in task.container.get("Secrets", []):
        arn = resolver.evaluate(task.stack, item["ValueFrom"])
        env[item["Name"]] = resolver.value_from(arn, f"{task.lid} {item['Name']}")
        task.secret_names.append(item["Name"])
    task.env = env


# -- the rehearsal -------------------------------------------------------------
class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.assembly = os.path.abspath(args.assembly)
        self.app = os.path.abspath(args.app)
        self.tmp = tempfile.mkdtemp(prefix="rehearsal-")
        os.chmod(self.tmp, 0o755)
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.procs = Processes(self.logs)
        self.step_no = 0
        self.step_title = ""

    def step(self, title):
        self.step_no += 1
        self.step_title = title
        say(f"==> [{self.step_no}/{STEPS}] {title}")

    # ---- step 1
    def read_templates(self):
        self.step("read the task definitions and resolve their environment from the templates")
        self.stacks = cfn.load_assembly(self.assembly)
        self.tasks, self.health_path = find_tasks(self.stacks)
        dbs = list(self._resources("AWS::RDS::DBInstance"))
        caches = list(self._resources("AWS::ElastiCache::ReplicationGroup"))
        if len(dbs) != 1 or len(caches) != 1:
            raise StepFailed(f"want one AWS::RDS::DBInstance and one AWS::ElastiCache::ReplicationGroup, found {len(dbs)} and {len(caches)}")
        self.db_stack, self.db_lid, db = dbs[0]
        self.cache_stack, self.cache_lid, cache = caches[0]
        pre = cfn.Resolver(self.stacks)
        self.db_port = int(pre.evaluate(self.db_stack, db["Properties"].get("Port", "5432")))
        self.cache_port = int(pre.evaluate(self.cache_stack, cache["Properties"].get("Port", 6379)))
        # The configured ports on addresses of their own: a template that
        # writes a port literally and one that takes it from Fn::GetAtt both
        # reach the local servers, and nothing here can be taken for them.
        self.db_host = free_address(self.db_port)
        self.cache_host = free_address(self.cache_port, avoid={self.db_host})
        self.resolver = cfn.Resolver(self.stacks, {
            ("AWS::RDS::DBInstance", "Endpoint.Address"): self.db_host,
            ("AWS::RDS::DBInstance", "Endpoint.Port"): str(self.db_port),
            ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Address"): self.cache_host,
            ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Port"): str(self.cache_port),
        })
        for task in self.tasks:
            resolve_env(self.resolver, task)
            say(f"    {task}")
            plain = sorted(set(task.env) - set(task.secret_names))
            say(f"      environment: {', '.join(plain)}")
            say(f"      secrets:     {', '.join(sorted(task.secret_names))}")
        props = db["Properties"]
        self.db_name = self.resolver.evaluate(self.db_stack, props.get("DBName", "postgres"))
        self.db_user = self.resolver.evaluate(self.db_stack, props["MasterUsername"])
        self.db_password = self.resolver.evaluate(self.db_stack, props["MasterUserPassword"])
        auth = cache["Properties"].get("AuthToken")
        if auth is None:
            raise StepFailed(f"the replication group {self.cache_lid} has no AuthToken")
        self.cache_token = self.resolver.evaluate(self.cache_stack, auth)
        say(f"    health check path (target group): {self.health_path}")
        say(f"    database {self.db_name!r}, user {self.db_user!r} at {self.db_host}:{self.db_port}; cache at {self.cache_host}:{self.cache_port}")
        for note in self.resolver.notes:
            say(f"    note: {note}")

    def _resources(self, type_):
        for stack in self.stacks.values():
            for lid, res in stack.of_type(type_).items():
                yield stack, lid, res

    def task(self, kind):
        return next(t for t in self.tasks if t.kind == kind)

    # ---- step 2
    def start_servers(self):
        self.step("start PostgreSQL (TLS) and Redis (TLS, AUTH) with the templates' names and generated secrets")
        for tool in ("initdb", "postgres", "redis-server", "openssl"):
            if not shutil.which(tool):
                raise StepFailed(f"{tool} is not on PATH (see the rehearsal's Debian packages in .ci/run)")
        self._make_certificates()
        self._start_postgres()
        self._start_redis()

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def _make_certificates(self):
        d = os.path.join(self.tmp, "tls")
        os.makedirs(d)
        self.ca = os.path.join(d, "ca.crt")
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rehearsal CA",
                      "-keyout", os.path.join(d, "ca.key"), "-out", self.ca)
        ext = os.path.join(d, "san.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=IP:{self.cache_host},IP:{self.db_host},DNS:localhost\n")
        key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.crt"))
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={self.cache_host}", "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", os.path.join(d, "ca.key"),
                      "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", crt)
        self.server_key, self.server_crt = key, crt
        # What the image trusts (the system roots) plus this CA, for Python
        # and Go alike (SSL_CERT_FILE).
        self.ca_bundle = os.path.join(d, "bundle.pem")
        with open(self.ca_bundle, "w") as out:
            for path in ("/etc/ssl/certs/ca-certificates.crt", self.ca):
                if os.path.exists(path):
                    with open(path) as f:
                        out.write(f.read() + "\n")

    def _pg_user(self):
        if os.geteuid() != 0:
            return {}
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], check=True)
            import pwd

            pw = pwd.getpwnam("postgres")
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def _start_postgres(self):
        as_pg = self._pg_user()
        base = os.path.join(self.tmp, "pg")
        data = os.path.join(base, "data")
        os.makedirs(base, mode=0o700)
        pwfile = os.path.join(base, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.db_password + "\n")
        key, crt = os.path.join(base, "server.key"), os.path.join(base, "server.crt")
        shutil.copy(self.server_key, key)
        shutil.copy(self.server_crt, crt)
        os.chmod(key, 0o600)
        if as_pg:
            for path in (base, pwfile, key, crt):
                os.chown(path, as_pg["user"], as_pg["group"])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        initdb = subprocess.run(["initdb", "-D", data, "-U", self.db_user, f"--pwfile={pwfile}", "--auth-local=trust",
                                 "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
                                env=env, capture_output=True, text=True, **as_pg)
        if initdb.returncode:
            raise StepFailed("initdb failed:\n" + initdb.stdout + initdb.stderr)
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write(f"\nlisten_addresses = '{self.db_host}'\nport = {self.db_port}\nunix_socket_directories = '{base}'\n"
                    f"ssl = on\nssl_cert_file = '{crt}'\nssl_key_file = '{key}'\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n")
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:  # TLS only over TCP, as on RDS
            f.write(f"local all all trust\nhostssl all all 127.0.0.0/8 scram-sha-256\n")
        self.pg = self.procs.start("postgres", ["postgres", "-D", data], env, base, stop_signal=signal.SIGINT, **as_pg)

        import psycopg2

        def connect(dbname):
            return psycopg2.connect(host=self.db_host, port=self.db_port, user=self.db_user, password=self.db_password,
                                    dbname=dbname, sslmode="require", connect_timeout=3)

        conn = wait_for("PostgreSQL accepting TLS connections", lambda: connect("postgres"), 30, self.pg)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute('CREATE DATABASE "%s"' % self.db_name.replace('"', '""'))
        conn.close()
        self.connect_db = lambda: connect(self.db_name)
        say(f"    PostgreSQL {self.db_host}:{self.db_port} up (TLS only, scram-sha-256), database {self.db_name!r} created")

    def _start_redis(self):
        d = os.path.join(self.tmp, "redis")
        os.makedirs(d)
        conf = os.path.join(d, "redis.conf")
        quoted = '"' + self.cache_token.replace("\\", "\\\\").replace('"', '\\"') + '"'
        with open(conf, "w") as f:
            f.write(f"port 0\nbind {self.cache_host}\ntls-port {self.cache_port}\ntls-cert-file {self.server_crt}\n"
                    f"tls-key-file {self.server_key}\ntls-ca-cert-file {self.ca}\ntls-auth-clients no\n"
                    f"requirepass {quoted}\nsave \"\"\nappendonly no\ndir {d}\ndaemonize no\n")
        self.redis = self.procs.start("redis", ["redis-server", conf], dict(os.environ), d)
        import redis

        client = redis.Redis(host=self.cache_host, port=self.cache_port, password=self.cache_token, ssl=True,
                             ssl_ca_certs=self.ca, ssl_cert_reqs="required", socket_timeout=3)
        wait_for("Redis answering PING over TLS with the AUTH token", client.ping, 30, self.redis)
        self.redis_client = client
        say(f"    Redis {self.cache_host}:{self.cache_port} up (TLS only, requirepass = the generated AUTH token)")

    # ---- how the image runs a command
    def shims(self):
        d = os.path.join(self.tmp, "bin")
        if not os.path.isdir(d):
            os.makedirs(d)
            for name, target in (("python", "exec /usr/bin/python3 \"$@\""), ("python3", "exec /usr/bin/python3 \"$@\""),
                                 ("celery", "exec /usr/bin/python3 -m celery \"$@\""), ("gunicorn", "exec /usr/bin/gunicorn \"$@\"")):
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write("#!/bin/sh\n" + target + "\n")
                os.chmod(path, 0o755)
        return d

    def image_argv(self, command, entrypoint=True):
        argv = (["/entrypoint"] if entrypoint else []) + [str(c) for c in command]
        return [os.path.join(self.app, IMAGE_SCRIPTS[a]) if a in IMAGE_SCRIPTS else a for a in argv]

    def task_env(self, task, **extra):
        env = dict(IMAGE_ENV)
        env.update(task.env)
        env["PATH"] = self.shims() + ":/usr/bin:/bin"
        env["SSL_CERT_FILE"] = self.ca_bundle  # the image's trust store, with the local CA
        env.update(extra)
        return env

    def run_in_image(self, name, task, command, timeout, entrypoint=True):
        return self.procs.run(name, self.image_argv(command, entrypoint), self.task_env(task), self.app, timeout)

    # ---- step 3
    def migrate(self):
        task = self.task("migration")
        self.step(f"migration task: /entrypoint {shlex.join(map(str, task.command))}")
        proc = self.run_in_image("migration", task, task.command, 180)
        if proc.returncode:
            raise StepFailed(f"the migration task exited with {proc.returncode}", proc.log)
        with self.connect_db() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM django_migrations")
            count = cur.fetchone()[0]
        say(f"    exit 0; {count} migrations recorded in {self.db_name!r}")
        static = [t for t in self.tasks if t.kind == "collectstatic"]
        for t in static:
            say(f"    collectstatic task {t.lid}: environment resolved; not run here (it writes to S3)")

    # ---- step 4
    def web(self):
        task = self.task("web")
        self.step(f"web task: /entrypoint {shlex.join(map(str, task.command))}, GET {self.health_path} as the load balancer does")
        bind = re.search(r"--bind[= ](\S+)", task.env.get("GUNICORN_CMD_ARGS", ""))
        say(f"    GUNICORN_CMD_ARGS binds {bind.group(1) if bind else '(nothing: gunicorn default 127.0.0.1:8000)'}; container port {task.port}")
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("0.0.0.0", task.port))
            except OSError as error:
                raise StepFailed(f"port {task.port} (the web task definition's container port) is busy on this machine: {error}")
        web = self.procs.start("web", self.image_argv(task.command), self.task_env(task), self.app)
        url = f"http://127.0.0.1:{task.port}{self.health_path}"
        host = f"10.0.{random.randint(0, 255)}.{random.randint(2, 254)}:{task.port}"  # a task IP, as the ALB sends

        def get():
            req = urllib.request.Request(url, headers={"Host": host, "User-Agent": "ELB-HealthChecker/2.0"})
            try:
                with urllib.request.urlopen(req, timeout=3) as resp:
                    return resp.status, resp.read(200)
            except urllib.error.HTTPError as error:
                return error.code, error.read(200)

        status = wait_for(f"gunicorn listening on port {task.port}", lambda: get(), 30, web)
        if status[0] != 200:
            raise StepFailed(f"GET {self.health_path} with Host {host} answered {status[0]} {status[1][:80]!r}, want 200 "
                             "(the target group's health check path must be answered by the app before ALLOWED_HOSTS "
                             "and the HTTPS redirect)", web.log)
        say(f"    GET {self.health_path} (Host: {host}) -> 200")
        code = ("from django.conf import settings\nfrom django.core.cache import cache\n"
                "location = str(settings.CACHES['default'].get('LOCATION', ''))\n"
                "if location.startswith(('redis://', 'rediss://')):\n"
                "    import redis\n    redis.Redis.from_url(location).ping()  # the reason, if any\n"
                "cache.set('rehearsal', 'ok', 30)\n"
                "assert cache.get('rehearsal') == 'ok', 'the cache does not keep a value'\n")
        proc = self.run_in_image("web-cache", task, ["python", "manage.py", "shell", "-c", code], 60)
        if proc.returncode:
            raise StepFailed("the web task's cache (REDIS_URL) does not work", proc.log)
        say("    the web task's cache (REDIS_URL) keeps a value")
        self.procs.stop(web)

    # ---- step 5
    def workers(self):
        workers = [t for t in self.tasks if t.kind == "worker"]
        beat = self.task("beat")
        self.step(f"{len(workers)} worker task(s) and beat; one task per queue; the beat schedule fires")
        self.worker_procs = [self.procs.start(f"worker-{i}", self.image_argv(t.command), self.task_env(t), self.app)
                             for i, t in enumerate(workers)]
        self.beat_proc = self.procs.start("beat", self.image_argv(beat.command), self.task_env(beat), self.app)
        nonce = "%08x" % random.getrandbits(32)
        queues = [(q, t) for t in workers for q in t.queues]
        for queue, t in queues:
            source = f"queue:{queue}:{nonce}"
            proc = self.run_in_image(f"send-{queue}", t, ["celery", "-A", "config.celery_app", "call", "pings.tasks.record_ping",
                                                          f"--args={json.dumps([source])}", f"--queue={queue}"], 60)
            if proc.returncode:
                raise StepFailed(f"sending the task to queue {queue} failed", proc.log)
        for queue, t in queues:
            source = f"queue:{queue}:{nonce}"
            proc = self.worker_procs[workers.index(t)]
            wait_for(f"a row from the task sent to queue {queue} (worker {proc.name})", lambda: self._rows(source), 60, proc)
            say(f"    queue {queue}: executed by {proc.name}, row written")
        if not any("celery" in t.queues for t in workers):
            raise StepFailed("beat sends to the default queue 'celery', which no worker consumes", self.beat_proc.log)
        wait_for("a row from the beat schedule", lambda: self._rows("beat"), 60, self.beat_proc)
        say("    beat fired the schedule; a worker wrote its row")
        for proc in self.worker_procs + [self.beat_proc]:
            self.procs.stop(proc, grace=15)

    def _rows(self, source):
        with self.connect_db() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pings_ping WHERE source = %s", (source,))
            return cur.fetchone()[0]

    # ---- step 6
    def build_step(self):
        self.step("the pipeline's build step (build.sh): image exists, migrations check in the image")
        project = None
        for stack, lid, res in self._resources("AWS::CodeBuild::Project"):
            names = [v["Name"] for v in res["Properties"].get("Environment", {}).get("EnvironmentVariables", [])]
            if "CHECK_SETTINGS" in names or "CHECK_MIGRATIONS" in names:
                project = (stack, lid, res)
        if project is None:
            raise StepFailed("no CodeBuild project with CHECK_SETTINGS (the build step) in the assembly")
        stack, lid, res = project
        env = {v["Name"]: str(self.resolver.evaluate(stack, v["Value"]))
               for v in res["Properties"]["Environment"]["EnvironmentVariables"]}
        env["IMAGE_TAG"] = "rehearsal"  # the pipeline gives the commit
        env["FRONTEND_BUILD"] = ""  # the example has no frontend apps
        d = self.fake_build_tools()
        env["PATH"] = d + ":" + self.shims() + ":/usr/bin:/bin"
        env["REHEARSAL_APP"] = self.app
        env["REHEARSAL_SHIMS"] = self.shims()
        env["REHEARSAL_DOCKER_LOG"] = os.path.join(self.tmp, "docker-calls.log")
        work = os.path.join(self.tmp, "build")
        os.makedirs(work)
        say(f"    CHECK_SETTINGS={env.get('CHECK_SETTINGS')!r} PLATFORM={env.get('PLATFORM')}")
        # The form build.sh runs the check in: python as the entrypoint (the
        # image's /entrypoint wants a database) and nothing but these variables.
        image = f"{env['REPOSITORY_URI']}:{env['IMAGE_TAG']}"
        direct = ["docker", "run", "--rm", "--platform", env.get("PLATFORM", "linux/arm64"), "--entrypoint", "python",
                  "-e", f"DJANGO_SETTINGS_MODULE={env.get('CHECK_SETTINGS') or 'config.settings.test'}",
                  "-e", "DJANGO_SECRET_KEY=makemigrations-check",
                  "-e", "DATABASE_URL=sqlite:////tmp/makemigrations-check.sqlite3", "-e", "CELERY_BROKER_URL=memory://",
                  "-e", "REDIS_URL=redis://localhost:6379/0", image, "manage.py", "makemigrations", "--check", "--dry-run"]
        proc = self.procs.run("makemigrations-check", direct, env, work, 120)
        if proc.returncode:
            raise StepFailed(f"`{shlex.join(direct)}` exited with {proc.returncode}", proc.log)
        say("    `docker run --entrypoint python -e ... IMAGE manage.py makemigrations --check --dry-run`: exit 0")
        os.remove(env["REHEARSAL_DOCKER_LOG"])
        proc = self.procs.run("build", ["bash", os.path.join(REPO, "constructs/releasepipeline/scripts/build.sh")], env, work, 180)
        if proc.returncode:
            hint = ""
            if re.search(r"entrypoint: line \d+: POSTGRES_\w+: parameter null or not set", tail(proc.log)):
                hint = (" (its `docker run` goes through the image's /entrypoint, which needs the database:"
                        " the check must pass --entrypoint python)")
            raise StepFailed(f"build.sh exited with {proc.returncode}{hint}", proc.log)
        runs = open(env["REHEARSAL_DOCKER_LOG"]).read().splitlines() if os.path.exists(env["REHEARSAL_DOCKER_LOG"]) else []
        wants_check = env.get("CHECK_MIGRATIONS", "true") == "true" and env.get("CHECK_SETTINGS", "") != ""
        if not wants_check:
            raise StepFailed("the pipeline's build step does not check migrations (CHECK_SETTINGS is empty)")
        if not any("makemigrations" in r for r in runs):
            raise StepFailed("build.sh did not run the migrations check", proc.log)
        for r in runs:
            say(f"    docker {r}")
        say("    build.sh exit 0: no missing migration")

    def fake_build_tools(self):
        d = os.path.join(self.tmp, "fake-build-bin")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "aws"), "w") as f:
            f.write('#!/bin/sh\n# The AWS CLI as build.sh sees it: the image is already in the registry.\n'
                    'case "$1 $2" in\n'
                    '"ecr get-login-password") echo rehearsal-token ;;\n'
                    '"ecr describe-images") echo \'{"imageDetails":[{"imageTags":["rehearsal"]}]}\' ;;\n'
                    '*) echo "fake aws: unexpected call: $*" >&2; exit 1 ;;\nesac\n')
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "docker_shim.py"), os.path.join(d, "docker"))
        for name in ("aws", "docker"):
            os.chmod(os.path.join(d, name), 0o755)
        return d

    # ---- step 7
    def queue_metrics(self):
        self.step("the queue-metrics function against the same Redis (TLS, AUTH token from Secrets Manager)")
        fns = [(s, lid, r) for s, lid, r in self._resources("AWS::Lambda::Function")
               if "REDIS_SECRET_ARN" in r["Properties"].get("Environment", {}).get("Variables", {})]
        if len(fns) != 1:
            raise StepFailed(f"want one Lambda function with REDIS_SECRET_ARN, found {len(fns)}")
        stack, lid, fn = fns[0]
        env = {k: str(self.resolver.evaluate(stack, v)) for k, v in fn["Properties"]["Environment"]["Variables"].items()}
        queues = [q["queue"] for q in json.loads(env["QUEUES"])]
        say(f"    {lid}: REDIS_HOST={env['REDIS_HOST']} REDIS_PORT={env['REDIS_PORT']} QUEUES={queues}")
        worker = self.task("worker")
        code = ("import sys\nfrom config.celery_app import app\nfrom pings.tasks import record_ping\n"
                f"queues, n = {queues!r}, {QUEUE_DEPTH}\n"
                "with app.connection_for_write() as conn:\n"
                "    for q in queues:\n        conn.default_channel.queue_purge(q)\n"
                "for q in queues:\n    for i in range(n):\n"
                "        record_ping.apply_async(args=['depth'], queue=q, priority=(0, 9, 5)[i % 3])\n")
        proc = self.run_in_image("publish", worker, ["python", "manage.py", "shell", "-c", code], 60)
        if proc.returncode:
            raise StepFailed("publishing the waiting messages failed", proc.log)
        for q in queues:
            lengths = {key: self.redis_client.llen(key) for key in [q] + [f"{q}\x06\x16{p}" for p in (3, 6, 9)]}
            if sum(lengths.values()) != QUEUE_DEPTH or sum(1 for n in lengths.values() if n) < 2:
                raise StepFailed(f"queue {q}: want {QUEUE_DEPTH} messages over several priority lists, Redis has {lengths}", proc.log)
        say(f"    {QUEUE_DEPTH} messages waiting in each queue over kombu's priority lists (priorities 0, 5, 9), no worker running")
        server, sm_url = self.fake_secrets_manager()
        out = os.path.join(self.tmp, "metrics.json")
        go_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        go_env.update(env)
        go_env.update({
            "AWS_REGION": stack.region, "AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_SECRETS_MANAGER": sm_url,
            "AWS_ENDPOINT_URL": sm_url,  # nothing else may reach AWS
            "SSL_CERT_FILE": self.ca_bundle, "QUEUEMETRICS_REHEARSAL_OUT": out,
        })
        if not shutil.which("go"):
            raise StepFailed("go is not on PATH")
        try:
            proc = self.procs.run("queuemetrics", ["go", "test", "-count=1", "-run", "^TestRehearsal$", "-v",
                                                   "./constructs/queuemetrics/handler"], go_env, REPO, 400)
        finally:
            server.shutdown()
        if proc.returncode or not os.path.exists(out):
            raise StepFailed("the queue-metrics function failed", proc.log)
        data = json.load(open(out))
        for q in queues:
            got = {d["metric"]: d["value"] for d in data if d["dimensions"].get("Queue") == q}
            if got.get("QueueDepth") != QUEUE_DEPTH or got.get("BacklogPerTask") != QUEUE_DEPTH:
                raise StepFailed(f"queue {q}: the function reported {got}, want QueueDepth = BacklogPerTask = {QUEUE_DEPTH}", proc.log)
            say(f"    queue {q}: QueueDepth {got['QueueDepth']:.0f}, BacklogPerTask {got['BacklogPerTask']:.0f} (no task running)")
        if not self.sm_requests:
            raise StepFailed("the function did not read the AUTH token from Secrets Manager", proc.log)

    def fake_secrets_manager(self):
        """Secrets Manager's GetSecretValue (JSON 1.1) for the assembly's secrets."""
        resolver, requests = self.resolver, []
        self.sm_requests = requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                target = self.headers.get("X-Amz-Target", "")
                requests.append((target, body.get("SecretId")))
                try:
                    if target != "secretsmanager.GetSecretValue":
                        raise cfn.Unresolvable(f"unsupported {target}")
                    stack, lid = resolver.secret_by_id(body["SecretId"])
                    reply = {"ARN": resolver.ref(stack, lid), "Name": lid, "VersionId": "rehearsal",
                             "SecretString": resolver.secret_string(stack, lid), "VersionStages": ["AWSCURRENT"]}
                    code = 200
                except (cfn.Unresolvable, KeyError) as error:
                    reply, code = {"__type": "ResourceNotFoundException", "message": str(error)}, 400
                data = json.dumps(reply).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    # ---- all
    def run(self):
        started = time.monotonic()
        try:
            self.read_templates()
            self.start_servers()
            self.migrate()
            self.web()
            self.workers()
            self.build_step()
            self.queue_metrics()
            self.step("stop every process, remove the temporary files")
            return 0
        except (StepFailed, cfn.Unresolvable) as error:
            say(f"FAILED at step {self.step_no} ({self.step_title}): {error}")
            log = getattr(error, "log", None)
            if log:
                say(f"---- last 30 lines of {os.path.basename(log)}")
                sys.stdout.write(tail(log))
                say("----")
            return 1
        finally:
            self.procs.stop_all()
            if self.args.keep:
                say(f"    kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            say(f"wall time {time.monotonic() - started:.1f} s")


# -- self-test ---------------------------------------------------------------
def copy_assembly(src, dst):
    os.makedirs(dst)
    for name in os.listdir(src):
        if name.endswith(".json"):
            shutil.copy(os.path.join(src, name), dst)


def mutate_templates(directory, change):
    """Applies change(stack name, template) to every template and saves it;
    returns what change reported."""
    stacks = cfn.load_assembly(directory)
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    files = {a.get("properties", {}).get("stackName", k): a["properties"]["templateFile"]
             for k, a in manifest["artifacts"].items() if a.get("type") == "aws:cloudformation:stack"}
    changed = []
    for name, stack in stacks.items():
        what = change(stacks, stack)
        if what:
            changed.append(what)
            with open(os.path.join(directory, files[name]), "w") as f:
                json.dump(stack.template, f, indent=1)
    return changed


def strip_password(stacks, stack):
    """(a) the broker URL without its password."""
    resolver = cfn.Resolver(stacks)
    tasks, _ = find_tasks(stacks)
    what = []
    for task in tasks:
        if task.stack is not stack:
            continue
        for item in task.container.get("Secrets", []):
            if item["Name"] == "REDIS_PASSWORD":  # the token given apart
                task.container["Secrets"].remove(item)
                what.append(f"{task.lid}: REDIS_PASSWORD removed")
    for task in tasks:
        for item in task.container.get("Secrets", []):
            if item["Name"] != "CELERY_BROKER_URL":
                continue
            src_stack, lid, _ = resolver.value_from_source(resolver.evaluate(task.stack, item["ValueFrom"]))
            if src_stack is not stack:
                continue
            props = stack.resources[lid]["Properties"]
            key = "SecretString" if "SecretString" in props else "Value"

            def drop(expr):
                """Removes every {{resolve:...}} from expr, also one split
                across the pieces of an Fn::Join."""
                if isinstance(expr, str):
                    return re.sub(r"\{\{resolve:[^}]*\}\}", "", expr)
                if isinstance(expr, list):
                    return [drop(v) for v in expr]
                if not isinstance(expr, dict):
                    return expr
                if "Fn::Join" in expr and isinstance(expr["Fn::Join"][1], list):
                    pieces, out, inside = expr["Fn::Join"][1], [], False
                    for piece in pieces:
                        if not isinstance(piece, str):
                            out.append(piece if not inside else "")
                            continue
                        text = re.sub(r"\{\{resolve:[^}]*\}\}", "", piece)
                        if inside:
                            if "}}" not in text:
                                continue
                            text, inside = text.split("}}", 1)[1], False
                        if "{{resolve:" in text:
                            text, inside = text.split("{{resolve:", 1)[0], True
                        out.append(text)
                    return {"Fn::Join": [expr["Fn::Join"][0], [p for p in out if p != ""]]}
                return {k: drop(v) for k, v in expr.items()}

            new = drop(props[key])
            if new != props[key]:
                props[key] = new
                what.append(f"{lid}: the AUTH token's dynamic reference removed from the broker URL")
    return "; ".join(sorted(set(what)))


def change_health_path(stacks, stack):
    """(b) the target group's health check path changed."""
    for lid, res in stack.of_type("AWS::ElasticLoadBalancingV2::TargetGroup").items():
        if "HealthCheckPath" in res["Properties"]:
            res["Properties"]["HealthCheckPath"] = "/healthz-moved"
            return f"{lid}: HealthCheckPath -> /healthz-moved"
    return ""


def first_redis_step(directory):
    """4 when the web task's REDIS_URL (the cache, checked in step 4) has no
    password either, else 5 (the workers)."""
    from urllib.parse import urlsplit

    stacks = cfn.load_assembly(directory)
    resolver = cfn.Resolver(stacks, {
        ("AWS::RDS::DBInstance", "Endpoint.Address"): "db", ("AWS::RDS::DBInstance", "Endpoint.Port"): "5432",
        ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Address"): "cache",
        ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Port"): "6379",
    })
    tasks, _ = find_tasks(stacks)
    web = next(t for t in tasks if t.kind == "web")
    resolve_env(resolver, web)
    return 5 if urlsplit(web.env.get("REDIS_URL", "")).password else 4


def self_test(args):
    cases = [
        # The cache (step 4) fails first when REDIS_URL shares the broker's secret.
        ("broker URL without its password", strip_password, first_redis_step, ["NOAUTH", "Authentication required"]),
        ("health check path changed", change_health_path, 4, ["/healthz-moved"]),
    ]
    failures = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rehearsal-selftest-") as tmp:
        for i, (title, change, want_step, want_text) in enumerate(cases):
            directory = os.path.join(tmp, f"case{i}")
            copy_assembly(os.path.abspath(args.assembly), directory)
            what = mutate_templates(directory, change)
            say(f"==> self-test ({chr(97 + i)}) {title}: {'; '.join(what) or 'NOTHING CHANGED'}")
            if not what:
                failures += 1
                continue
            if callable(want_step):
                want_step = want_step(directory)
            t0 = time.monotonic()
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--app", args.app, directory],
                                  capture_output=True, text=True, timeout=600)
            out = proc.stdout + proc.stderr
            failed = re.search(r"^FAILED at step (\d+) \(([^)]*)\): (.*)$", out, re.M)
            ok = (proc.returncode != 0 and failed and int(failed.group(1)) == want_step
                  and any(t in out for t in want_text))
            if ok:
                say(f"    failed as it must, at step {want_step} ({time.monotonic() - t0:.1f} s): {failed.group(3)[:200]}")
            else:
                failures += 1
                say(f"    WRONG: want a failure at step {want_step} mentioning one of {want_text}; got exit {proc.returncode}:")
                sys.stdout.write("".join(out.splitlines(True)[-40:]))
    say(f"self-test {'passed' if not failures else 'FAILED'}: {len(cases) - failures} passed, {failures} failed "
        f"(wall time {time.monotonic() - started:.1f} s)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assembly", nargs="?", default="cdk.out/production", help="cloud assembly directory")
    parser.add_argument("--app", default=os.path.join(REPO, "examples", "django"), help="the Django app's directory")
    parser.add_argument("--self-test", action="store_true", help="prove that the rehearsal fails on broken templates")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    args.app = os.path.abspath(args.app)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    if args.self_test:
        return self_test(args)
    return Rehearsal(args).run()


if __name__ == "__main__":
    sys.exit(main())
