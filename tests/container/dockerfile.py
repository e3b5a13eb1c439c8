"""A small reader of the Dockerfile subset docker/ uses, for the container recipe checks.

Parses instructions (continuation lines joined, comment lines dropped) into stages, and answers
the questions the checks ask: which images a stage starts from, what it copies from the build
context, which packages `apt-get install` adds, its ENV, and the HEALTHCHECK command.
"""
import fnmatch
import json
import os
import re
import shlex


class Stage:
    def __init__(self, base, name):
        self.base = base
        self.name = name
        self.instructions = []  # (KEYWORD, argument text)

    def args(self, keyword):
        return [text for kw, text in self.instructions if kw == keyword]

    def run_text(self):
        return "\n".join(self.args("RUN"))

    def env(self):
        """ENV as a dict; accepts `ENV K=V K2="V 2"` and the legacy `ENV K V`."""
        env = {}
        for text in self.args("ENV"):
            words = shlex.split(text)
            if words and "=" not in words[0]:
                env[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                key, _, value = word.partition("=")
                env[key] = value
        return env

    def copies_from_context(self):
        """Source paths of every COPY/ADD that reads the build context (no --from)."""
        sources = []
        for kw, text in self.instructions:
            if kw not in ("COPY", "ADD"):
                continue
            words = shlex.split(text)
            if any(w.startswith("--from") for w in words):
                continue
            words = [w for w in words if not w.startswith("--")]
            sources.extend(words[:-1])
        return sources

    def apt_packages(self):
        """Package names of every `apt-get install` in this stage's RUN commands."""
        packages = []
        for text in self.args("RUN"):
            for command in re.split(r"&&|;|\|\|", text):
                words = shlex.split(command)
                if "apt-get" not in words or "install" not in words:
                    continue
                after = words[words.index("install") + 1:]
                packages.extend(w for w in after if not w.startswith("-"))
        return packages

    def healthcheck_command(self):
        """(form, command) of the HEALTHCHECK: ("shell", text) or ("exec", [words])."""
        checks = self.args("HEALTHCHECK")
        if not checks:
            return None
        text = re.sub(r"^(--\S+\s+)*", "", checks[-1])
        keyword, _, command = text.partition(" ")
        assert keyword == "CMD", f"HEALTHCHECK {text!r} has no CMD"
        command = command.strip()
        if command.startswith("["):
            return "exec", json.loads(command)
        return "shell", command


def parse(path):
    """Returns the stages of the Dockerfile at `path`, in order."""
    with open(path, encoding="utf-8") as f:
        raw = f.read().splitlines()
    logical = []
    current = ""
    for line in raw:
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1].rstrip() + " "
            continue
        current += stripped
        if current.strip():
            logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    stages = []
    for line in logical:
        keyword, _, text = line.partition(" ")
        keyword = keyword.upper()
        text = text.strip()
        if keyword == "FROM":
            words = [w for w in text.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, text))
        else:
            assert keyword == "ARG", f"{path}: {keyword} before the first FROM"
    return stages


def ignore_patterns(context):
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    return [line for line in lines if line and not line.startswith("#")]


def is_ignored(relative_path, patterns):
    """Whether .dockerignore `patterns` exclude `relative_path` (or a directory above it).

    Follows Docker's rules for the forms used here: patterns are relative to the context root
    (a leading / is dropped), `**` matches any number of directories, `!` re-includes.
    """
    parts = relative_path.strip("/").split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = fnmatch.translate(pattern).replace(".*.*/", "(.*/)?")
        if any(re.fullmatch(regex, c) for c in candidates):
            ignored = not negate
    return ignored
