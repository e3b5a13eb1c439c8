"""Keeps docker/ from rotting without building an image (seconds, part of `make test`).

- every file the Dockerfiles copy from the context exists and .dockerignore keeps it;
- base images are the Debian bookworm tags, and the build stage runs the project's own steps
  (scripts/install-deps.sh, Makefile targets and variables that exist);
- the runtime stage installs exactly the packages of the shared libraries the built binary links
  (ldd + dpkg -S), plus curl for the health check;
- the built binary starts with the image's ENV and CMD (plus compose's environment) and answers
  on the address they give, and the HEALTHCHECK command passes against it and fails without it;
- compose.yaml wires the server, its health check, its volume and the smoke client consistently;
- docker/smoke-test.sh passes against a locally started binary and fails when there is none.

The full image build is `make image` (see docker/Dockerfile), not part of this check.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

import dockerfile  # noqa: E402
import harness  # noqa: E402

REPO = harness.REPO
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
SMOKE_DOCKERFILE = os.path.join(REPO, "docker", "smoke.Dockerfile")
COMPOSE = os.path.join(REPO, "docker", "compose.yaml")
SMOKE_SCRIPT = os.path.join(REPO, "docker", "smoke-test.sh")
LOCAL_BASE_IMAGES = {"debian:bookworm", "debian:bookworm-slim"}
# Tools the runtime stage installs besides the binary's libraries, and what needs them.
RUNTIME_TOOLS = {"curl": "HEALTHCHECK"}
# Runtime libraries of a sanitizer build (LOGBUCKET_SANITIZE); the image never uses one.
SANITIZER_PACKAGE = re.compile(r"^lib(asan|ubsan|lsan|tsan)\d*$")


def runtime_stage():
    return dockerfile.parse(DOCKERFILE)[-1]


def load_compose():
    import yaml
    with open(COMPOSE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def packages_of(paths):
    """Maps each shared library path to the Debian package that installed it (one dpkg call)."""
    spellings = {}
    for path in paths:
        real = os.path.realpath(path)
        names = {path, real}
        for p in (path, real):  # merged /usr: dpkg knows one spelling of the directory
            names.add(p[len("/usr"):] if p.startswith("/usr/lib/") else "/usr" + p)
        spellings[path] = names
    queries = sorted(set().union(*spellings.values()))
    out = subprocess.run(["dpkg", "-S", *queries], capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        package, _, owned = line.partition(": ")
        owner[owned.strip()] = package.split(":")[0]
    packages = {}
    for path, names in spellings.items():
        found = [owner[n] for n in names if n in owner]
        if not found:
            raise AssertionError(f"no Debian package owns {path} (tried {sorted(names)})")
        packages[path] = found[0]
    return packages


def linked_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = []
    for line in out.splitlines():
        m = re.match(r"\s*\S+ => (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            libraries.append(m.group(1))
        elif "=>" in line and "not found" in line:
            raise AssertionError(f"ldd {binary}: {line.strip()}")
    return libraries


def server_environment(env_overrides, port, data_dir):
    """The image's ENV with `env_overrides` applied, listening on `port` with data in data_dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBUCKET_")}
    image_env = {**runtime_stage().env(), **env_overrides}
    host = image_env["LOGBUCKET_SERVER_LISTEN"].rsplit(":", 1)[0]
    image_env["LOGBUCKET_SERVER_LISTEN"] = f"{host}:{port}"
    image_env["LOGBUCKET_STORAGE_DATA_DIR"] = data_dir
    env.update(image_env)
    return env


class DockerfileRecipeTest(unittest.TestCase):
    def test_base_images_are_the_local_debian_tags(self):
        for path in (DOCKERFILE, SMOKE_DOCKERFILE):
            stage_names = set()
            for stage in dockerfile.parse(path):
                self.assertTrue(stage.base in LOCAL_BASE_IMAGES or stage.base in stage_names,
                                f"{path}: FROM {stage.base} is neither {LOCAL_BASE_IMAGES} "
                                "nor an earlier stage")
                if stage.name:
                    stage_names.add(stage.name)

    def test_copied_files_exist_and_are_not_ignored(self):
        patterns = dockerfile.ignore_patterns(REPO)
        for path in (DOCKERFILE, SMOKE_DOCKERFILE):
            for stage in dockerfile.parse(path):
                for source in stage.copies_from_context():
                    self.assertTrue(os.path.exists(os.path.join(REPO, source)),
                                    f"{path} copies {source}, which does not exist")
                    if source != ".":
                        self.assertFalse(dockerfile.is_ignored(source, patterns),
                                         f"{path} copies {source}, which .dockerignore excludes")

    def test_dockerignore_keeps_host_builds_out_of_the_context(self):
        # A host build/CMakeCache.txt copied in would make cmake refuse the build directory.
        patterns = dockerfile.ignore_patterns(REPO)
        for path in ("build/CMakeCache.txt", "build-debug/logbucket", "data/logbucket.db",
                     ".git/HEAD", "tests/e2e/__pycache__/harness.cpython-311.pyc"):
            self.assertTrue(dockerfile.is_ignored(path, patterns), f"{path} is not ignored")
        for path in ("CMakeLists.txt", "server/main.cc", "tests/e2e/harness.py",
                     "scripts/install-deps.sh", "docker/smoke-test.sh"):
            self.assertFalse(dockerfile.is_ignored(path, patterns), f"{path} is ignored")

    def test_build_stage_runs_the_project_steps(self):
        build = dockerfile.parse(DOCKERFILE)[0]
        run = build.run_text()
        self.assertIn("scripts/install-deps.sh", run)
        with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as f:
            makefile = f.read()
        targets = set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.M))
        variables = set(re.findall(r"^([A-Z_]+)\s*[:?]?=", makefile, re.M))
        invocations = re.findall(r"\bmake((?:\s+[\w.=/-]+)+)", run)
        self.assertTrue(invocations, "the build stage does not run make")
        made = set()
        for words in invocations:
            for word in words.split():
                if "=" in word:
                    self.assertIn(word.split("=")[0], variables, f"make {words}: no such variable")
                else:
                    self.assertIn(word, targets, f"make {words}: no such Makefile target")
                    made.add(word)
        self.assertIn("build", made)
        self.assertIn("unit", made)

    def test_runtime_packages_are_exactly_the_linked_libraries(self):
        installed = set(runtime_stage().apt_packages())
        needed = {package for package in packages_of(linked_libraries(harness.BINARY)).values()
                  if not SANITIZER_PACKAGE.match(package)}
        self.assertIn("libc6", needed)  # proves the mapping ran on a real binary
        missing = needed - installed
        self.assertFalse(missing, f"the runtime stage lacks {sorted(missing)}, needed by "
                                  f"{harness.BINARY}")
        unneeded = installed - needed - set(RUNTIME_TOOLS)
        self.assertFalse(unneeded, f"the runtime stage installs {sorted(unneeded)}, which "
                                   "the binary does not link")
        for tool in RUNTIME_TOOLS:
            self.assertIn(tool, installed)

    def test_image_settings_listen_everywhere_and_keep_data_in_the_volume(self):
        stage = runtime_stage()
        env = stage.env()
        host, port = env["LOGBUCKET_SERVER_LISTEN"].rsplit(":", 1)
        self.assertEqual(host, "0.0.0.0")
        self.assertEqual(stage.args("EXPOSE"), [port])
        volumes = stage.args("VOLUME")
        self.assertEqual(volumes, [env["LOGBUCKET_STORAGE_DATA_DIR"]])
        users = stage.args("USER")
        self.assertTrue(users, "the runtime stage runs as root")
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))
        form, command = stage.healthcheck_command()
        self.assertIn("/_logbucket/health", " ".join(command) if form == "exec" else command)


class ImageEnvironmentTest(unittest.TestCase):
    """Runs the built binary the way the image and compose.yaml run it."""

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="logbucket-container-")
        self.proc = None

    def tearDown(self):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=30)
            self.proc.stdout.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self, env_overrides):
        stage = runtime_stage()
        port = harness.free_port()
        env = server_environment(env_overrides, port, self.data_dir)
        entrypoint = dockerfile.json.loads(stage.args("ENTRYPOINT")[-1])
        cmd = dockerfile.json.loads(stage.args("CMD")[-1])
        self.assertEqual(entrypoint[0], "/usr/local/bin/logbucket")
        self.proc = subprocess.Popen([harness.BINARY, *entrypoint[1:], *cmd], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = []
        while True:
            line = self.proc.stdout.readline()
            output.append(line)
            if "ready:" in line:
                break
            if not line:
                self.fail("logbucket refused the image's settings:\n" + "".join(output))
        self.assertIn(f"data {self.data_dir}", line)
        # Keep reading, so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return port, env

    def health(self, port):
        url = f"http://127.0.0.1:{port}/_logbucket/health"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()

    def run_healthcheck(self, env):
        form, command = runtime_stage().healthcheck_command()
        argv = command if form == "exec" else ["/bin/sh", "-c", command]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)

    def test_binary_accepts_the_image_environment_and_its_healthcheck_passes(self):
        port, env = self.start({})
        self.assertEqual(self.health(port), (200, '{"status":"ok"}'))
        check = self.run_healthcheck(env)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn('"ok"', check.stdout)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0)
        check = self.run_healthcheck(env)
        self.assertNotEqual(check.returncode, 0, "the health check passes with no server")

    def test_binary_accepts_the_compose_environment(self):
        compose_env = {k: str(v) for k, v in
                       load_compose()["services"]["logbucket"]["environment"].items()}
        port, _ = self.start(compose_env)
        self.assertEqual(self.health(port)[0], 200)


class ComposeFileTest(unittest.TestCase):
    def setUp(self):
        self.compose = load_compose()
        self.services = self.compose["services"]

    def test_builds_from_the_repository_root(self):
        for name, dockerfile_path in (("logbucket", DOCKERFILE), ("smoke", SMOKE_DOCKERFILE)):
            build = self.services[name]["build"]
            context = os.path.normpath(os.path.join(os.path.dirname(COMPOSE), build["context"]))
            self.assertEqual(context, REPO)
            self.assertEqual(os.path.join(context, build["dockerfile"]), dockerfile_path)

    def test_server_port_volume_and_health_check_agree_with_the_image(self):
        server = self.services["logbucket"]
        env = {**runtime_stage().env(), **server.get("environment", {})}
        port = env["LOGBUCKET_SERVER_LISTEN"].rsplit(":", 1)[1]
        self.assertTrue(any(str(p).endswith(f":{port}") for p in server["ports"]), server["ports"])
        volume_targets = [v.split(":")[1] for v in server["volumes"]]
        self.assertIn(env["LOGBUCKET_STORAGE_DATA_DIR"], volume_targets)
        named = server["volumes"][0].split(":")[0]
        self.assertIn(named, self.compose.get("volumes", {}))
        test = " ".join(server["healthcheck"]["test"])
        self.assertIn(f"http://127.0.0.1:{port}/_logbucket/health", test)

    def test_smoke_client_waits_for_health_and_targets_the_service(self):
        smoke = self.services["smoke"]
        self.assertEqual(smoke["depends_on"]["logbucket"]["condition"], "service_healthy")
        env = {**runtime_stage().env(), **self.services["logbucket"].get("environment", {})}
        port = env["LOGBUCKET_SERVER_LISTEN"].rsplit(":", 1)[1]
        self.assertEqual(smoke["environment"]["LOGBUCKET_ENDPOINT"], f"http://logbucket:{port}")
        stage = dockerfile.parse(SMOKE_DOCKERFILE)[-1]
        self.assertIn("docker/smoke-test.sh", stage.copies_from_context())
        self.assertTrue({"awscli", "curl"} <= set(stage.apt_packages()))


class SmokeScriptTest(unittest.TestCase):
    def run_smoke(self, endpoint, wait="60", client_env=None):
        env = dict(client_env or os.environ)
        env.update({"LOGBUCKET_ENDPOINT": endpoint, "SMOKE_WAIT": wait})
        return subprocess.run([SMOKE_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=300)

    def test_passes_against_a_local_server_and_leaves_a_delivered_log(self):
        server = harness.LogbucketServer().start()
        try:
            result = self.run_smoke(server.endpoint, client_env=server.client_env())
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("smoke: OK", result.stdout)
            s3 = server.boto3()
            log_buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]
                           if b["Name"].startswith("smoke-logs-")]
            self.assertEqual(len(log_buckets), 1)
            keys = [o["Key"] for o in
                    s3.list_objects_v2(Bucket=log_buckets[0]).get("Contents", [])]
            self.assertTrue(keys and all(k.startswith("access/") for k in keys), keys)
        finally:
            server.cleanup()

    def test_fails_when_no_server_answers(self):
        result = self.run_smoke(f"http://127.0.0.1:{harness.free_port()}", wait="1")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FAILED at step: wait for", result.stderr)


if __name__ == "__main__":
    unittest.main()
