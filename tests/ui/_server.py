"""Start `autolog ui` as a real subprocess on a free port (shared by the CLI and browser tests)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

_ADDRESS = re.compile(r"Serving at (http://\S+)")


class UiProcess:
    def __init__(self, store: str, *extra: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autolog.cli", "--store", store, "ui", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = self._read_address()

    def _read_address(self) -> str:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = _ADDRESS.search(line)
            if match:
                self._wait_until_answering(match.group(1))
                return match.group(1)
        self.process.kill()
        raise RuntimeError(f"autolog ui did not start: {''.join(lines)} {self.process.stderr.read()}")

    @staticmethod
    def _wait_until_answering(url: str) -> None:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/static/app.css", timeout=2).read()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self) -> tuple:
        """Send Ctrl-C (SIGINT) and return ``(exit code, stdout rest, stderr)``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err
