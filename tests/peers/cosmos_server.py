"""Run ``@vercel/cosmosdb-server`` (a Cosmos DB-compatible server in Node) on loopback.

The package is installed with npm into a cache folder on first use and started by
``cosmos_server.js`` (HTTPS with the self-signed certificate shipped with the package, keep-alive,
a free port chosen by the OS).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

PACKAGE = "@vercel/cosmosdb-server"
VERSION = "1.0.1"
#: The Cosmos DB emulator's well-known key; the server accepts any key, the SDK needs a valid base64 one.
EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
_READY = re.compile(r"Ready to accept HTTPS connections at ([^\s:]+|\[[^\]]+\]):(\d+)")


class PeerUnavailable(RuntimeError):
    """The peer cannot run here (no node/npm, install failed); the message says why."""


_LAUNCHER = Path(__file__).with_name("cosmos_server.js")


def install(cache: Path) -> Path:
    """Install the package into ``cache`` (once) and return the package folder."""
    package = cache / "node_modules" / "@vercel" / "cosmosdb-server"
    cli = package / "lib" / "cli.js"
    if cli.exists():
        return package
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise PeerUnavailable(f"node and npm are needed to run {PACKAGE} (node={node}, npm={npm})")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save", f"{PACKAGE}@{VERSION}"],
            capture_output=True, text=True, timeout=300,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerUnavailable(f"npm install {PACKAGE}@{VERSION} timed out after {exc.timeout}s") from exc
    if result.returncode != 0 or not cli.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise PeerUnavailable(f"npm install {PACKAGE}@{VERSION} failed: {' | '.join(tail)}")
    return package


class CosmosServer:
    """A running cosmosdb-server process; ``endpoint`` is its HTTPS URL."""

    def __init__(self, cache: Path):
        self.package = install(cache)
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.output: list[str] = []

    def start(self, timeout: float = 30.0) -> CosmosServer:
        node = shutil.which("node")
        if node is None:
            raise PeerUnavailable("node is not on PATH")
        env = {**os.environ, "NODE_NO_WARNINGS": "1"}
        self.process = subprocess.Popen(
            [node, str(_LAUNCHER), str(self.package), "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        found = threading.Event()

        def pump() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line.rstrip())
                match = _READY.search(line)
                if match and not found.is_set():
                    self.endpoint = f"https://127.0.0.1:{match.group(2)}"
                    found.set()

        threading.Thread(target=pump, name="cosmosdb-server-output", daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise PeerUnavailable(f"{PACKAGE} did not start: {' | '.join(self.output[-5:]) or 'no output'}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
