"""``manage.py monnify_sandbox`` as a separate process: starts, answers, stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]


def test_command_serves_and_stops_cleanly():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cozonpay.settings_test", PYTHONUNBUFFERED="1",
               MONNIFY_SANDBOX_WEBHOOK_URL="http://127.0.0.1:1/webhooks/monnify")
    process = subprocess.Popen([sys.executable, "manage.py", "monnify_sandbox", "--port", "0"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # wait for the readiness line, with a deadline
        deadline = time.monotonic() + 30
        line = ""
        while "listening on" not in line:
            assert time.monotonic() < deadline, "sandbox did not start"
            assert process.poll() is None, process.stderr.read()
            line = process.stdout.readline()
        url = line.split("listening on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        config = requests.get(url + "/sandbox/config", timeout=5).json()
        assert config["webhook_url"] == "http://127.0.0.1:1/webhooks/monnify"
        assert config["api_key"] == "MK_TEST_UNITTESTKEY" and config["contract_code"] == "7059707855"
        login = requests.post(url + "/api/v1/auth/login", auth=("MK_TEST_UNITTESTKEY", "unit-test-monnify-secret"),
                              timeout=5)
        assert login.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_command_refuses_a_non_loopback_host():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cozonpay.settings_test")
    result = subprocess.run([sys.executable, "manage.py", "monnify_sandbox", "--host", "0.0.0.0", "--port", "0"],  # noqa: S104
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "loopback" in result.stderr
