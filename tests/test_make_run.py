"""`make run` stops daphne and its background worker together, cleanly: Ctrl+C in a terminal, a
`kill` of make, or daphne stopping alone leave no process behind, and the worker finishes the job
it is running instead of being killed halfway through it.

The recipe runs for real (in a pseudo-terminal, as a person's shell would run it), with stand-ins
for the venv's python and daphne that behave as the real ones do with signals: the worker
(django-tasks' db_worker) finishes its job on the first SIGINT or SIGTERM and stops at once on a
second; daphne (Twisted) stops on SIGTERM, and on SIGINT only when SIGINT is not ignored.
"""

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

WORKER = """
import os, signal, sys, time
log = open(os.environ["FAKE_LOG"], "a", buffering=1)
signals = []
def on_signal(signum, frame):
    signals.append(signum)
    if len(signals) > 1:
        log.write("worker: stopped halfway through its job\\n")
        sys.exit(1)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
log.write("worker: running a job\\n")
while not signals:
    time.sleep(0.05)
time.sleep(1.0)  # the rest of the job
log.write("worker: finished its job and stopped\\n")
"""

SERVER = """
import os, signal, sys, time
log = open(os.environ["FAKE_LOG"], "a", buffering=1)
def stop(signum, frame):
    log.write(f"server: stopped by {signal.Signals(signum).name}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, stop)
if os.environ.get("FAKE_SERVER_FAILS"):
    time.sleep(0.5)  # daphne takes a moment to load Django before it finds the port busy
    log.write("server: port busy\\n")
    sys.exit(1)
log.write("server: listening\\n")
while True:
    time.sleep(0.05)
"""


@pytest.fixture
def fake_venv(tmp_path):
    """A venv whose python runs the worker stand-in for `manage.py db_worker` and does nothing for
    the other commands (migrate, seed_demo, ...), and whose daphne is the server stand-in."""
    bin_folder = tmp_path / "venv" / "bin"
    bin_folder.mkdir(parents=True)
    (tmp_path / "worker.py").write_text(WORKER)
    (tmp_path / "server.py").write_text(SERVER)
    python = bin_folder / "python"
    python.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$2" = db_worker ]; then exec {sys.executable} {tmp_path / "worker.py"}; fi
        exit 0
    """))
    daphne = bin_folder / "daphne"
    daphne.write_text(f"#!/bin/sh\nexec {sys.executable} {tmp_path / 'server.py'}\n")
    for script in (python, daphne):
        script.chmod(0o755)
    (tmp_path / "venv" / ".installed").touch()
    return tmp_path


def start_make_run(folder, **extra_env):
    env = {**os.environ, "FAKE_LOG": str(folder / "log"), **extra_env}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: make in a terminal of its own, as a person runs it
        os.execvpe("make", ["make", "-C", str(ROOT), "run", f"VENV={folder / 'venv'}", "PORT=1"], env)
    return pid, terminal


def log_of(folder):
    path = folder / "log"
    return path.read_text() if path.exists() else ""


def wait_until(condition, *, terminal, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        if select.select([terminal], [], [], 0.05)[0]:
            try:
                os.read(terminal, 65536)
            except OSError:
                pass
    return condition()


def finish(pid, terminal, seconds=20):
    """make's exit status once it ends (the terminal drained meanwhile), and the processes its session left."""
    ended = {}

    def make_ended():
        if not ended:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                ended["status"] = status
        return bool(ended)

    if not wait_until(make_ended, terminal=terminal, seconds=seconds):
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("make run did not stop")
    time.sleep(0.2)
    rows = subprocess.run(["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True).stdout.splitlines()
    left = [row for row in rows if row.split()[1] == str(pid)]
    os.close(terminal)
    return ended["status"], left


def both_running(folder):
    return lambda: "server: listening" in log_of(folder) and "worker: running a job" in log_of(folder)


def test_ctrl_c_stops_daphne_and_lets_the_worker_finish_its_job(fake_venv):
    pid, terminal = start_make_run(fake_venv)
    assert wait_until(both_running(fake_venv), terminal=terminal), log_of(fake_venv)
    os.write(terminal, b"\x03")  # Ctrl+C: SIGINT to the terminal's foreground processes
    _status, left = finish(pid, terminal)
    log = log_of(fake_venv)
    assert "worker: finished its job and stopped" in log and "halfway" not in log
    assert "server: stopped by" in log
    assert left == []


def test_a_kill_of_make_stops_both(fake_venv):
    pid, terminal = start_make_run(fake_venv)
    assert wait_until(both_running(fake_venv), terminal=terminal), log_of(fake_venv)
    os.kill(pid, signal.SIGTERM)
    _status, left = finish(pid, terminal)
    log = log_of(fake_venv)
    assert "server: stopped by SIGTERM" in log
    assert "worker: finished its job and stopped" in log and "halfway" not in log
    assert left == []


def test_when_daphne_cannot_start_the_worker_stops_too(fake_venv):
    pid, terminal = start_make_run(fake_venv, FAKE_SERVER_FAILS="1")
    status, left = finish(pid, terminal)
    assert os.waitstatus_to_exitcode(status) != 0
    log = log_of(fake_venv)
    assert "server: port busy" in log
    assert "worker: finished its job and stopped" in log
    assert left == []
