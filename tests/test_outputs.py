"""Output folders never destroy what lifecycle did not write (issue 8, "data loss").

Each test reproduces one failure of the issue: before :mod:`lifecycle.outputs`, ``-o`` onto
any folder deleted it, defaults overlapped, kills left temporary folders, concurrent
writers crashed, ``-o /`` gave a traceback.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle import outputs
from lifecycle.cli import cli
from lifecycle.errors import OutputError
from lifecycle.outputs import MANIFEST, atomic_dir, atomic_files, write_manifest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
LINEAR = ROOT / "tests" / "models" / "sa_linear.mdl"
NAN_MODEL = ROOT / "tests" / "models" / "cli_nan.mdl"
LIFECYCLE = Path(sys.executable).with_name("lifecycle")


def invoke(*args, ok=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if ok == 2:
        assert isinstance(result.exception, SystemExit)
    return result


def listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def linear_inputs(tmp_path):
    """A scenario and an uncertain file of the two-constant linear test model."""
    scen = tmp_path / "s.toml"
    scen.write_text(f'name = "s"\nmodel = "{LINEAR}"\n[params]\nX2 = 1.0\n')
    unc = tmp_path / "u.toml"
    unc.write_text('[uncertain]\nX1 = {dist = "uniform", min = 0, max = 1}\n')
    return scen, unc


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "my.toml").write_text(BASELINE.read_text())
    (victim / "notes.txt").write_text("notes\n")
    return victim


# -- 1. -o onto a folder lifecycle did not write -------------------------------------------


def test_run_onto_a_folder_holding_its_own_scenario_is_refused(tmp_path):
    victim = _victim(tmp_path)
    before = listing(tmp_path)
    result = invoke("run", victim / "my.toml", "-o", victim, "--final-time", 1, ok=2)
    assert "inside the output folder" in result.stderr
    assert listing(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_folder_of_user_files_is_refused_with_the_fix(tmp_path, command):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("notes\n")
    before = listing(tmp_path)
    result = invoke(command, BASELINE, "-o", victim, ok=2)
    assert "files lifecycle did not write (notes.txt)" in result.stderr
    assert "--force" in result.stderr and "another -o" in result.stderr
    assert listing(tmp_path) == before


@pytest.mark.parametrize("command", ["montecarlo", "sensitivity"])
def test_ensemble_commands_refuse_a_user_folder_before_running(tmp_path, linear_inputs, command):
    scen, unc = linear_inputs
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("notes\n")
    before = listing(tmp_path)
    extra = ["--metric", "final(Y)", "-n", 8] if command == "sensitivity" else ["-n", 5]
    result = invoke(command, scen, "--uncertain", unc, *extra, "-o", victim, ok=2)
    assert "did not write" in result.stderr
    assert listing(tmp_path) == before


def test_force_replaces_a_user_folder_and_says_so_in_its_help(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("notes\n")
    invoke("run", BASELINE, "-o", victim, "--final-time", 1, "--vars", "Firms", "--force")
    assert not (victim / "notes.txt").exists() and (victim / "baseline.csv").is_file()
    assert "--force" in invoke("run", "-h").stdout


def test_a_changed_or_added_file_makes_the_folder_the_users(tmp_path):
    out = tmp_path / "out"
    invoke("run", BASELINE, "-o", out, "--final-time", 1, "--vars", "Firms")
    invoke("run", BASELINE, "-o", out, "--final-time", 2, "--vars", "Firms")  # its own: ok
    with open(out / "summary.csv", "a") as fh:
        fh.write("my note\n")
    before = listing(tmp_path)
    result = invoke("run", BASELINE, "-o", out, "--final-time", 1, "--vars", "Firms", ok=2)
    assert "added or changed" in result.stderr and "summary.csv" in result.stderr
    assert listing(tmp_path) == before


# -- 2. default folders of their own -------------------------------------------------------


def test_default_folders_do_not_overlap(tmp_path, monkeypatch, linear_inputs):
    scen, unc = linear_inputs
    short = tmp_path / "short.toml"
    short.write_text('name = "baseline"\n[run]\nfinal_time = 2\n')
    monkeypatch.chdir(tmp_path)
    invoke("montecarlo", scen, "--uncertain", unc, "-n", 5)
    invoke("sensitivity", scen, "--uncertain", unc, "--metric", "final(Y)", "-n", 8)
    invoke("compare", short, "--vars", "Firms")
    invoke("run", short, "--vars", "Firms")
    invoke("run", short, "--vars", "Firms")  # again: replaces only its own
    folders = sorted(
        str(p.parent.relative_to(tmp_path)) for p in (tmp_path / "results").rglob(MANIFEST)
    )
    assert folders == [
        "results/compare",
        "results/montecarlo/s",
        "results/run",
        "results/sensitivity/s-sobol",
    ]


# -- 3. calibration's files as a set --------------------------------------------------------


def test_file_set_failure_changes_nothing(tmp_path):
    a, b = tmp_path / "fit.toml", tmp_path / "fit.png"
    with atomic_files([a, b]) as (ta, tb):
        ta.write_text("old toml")
        tb.write_text("old png")
    before = listing(tmp_path)
    with pytest.raises(RuntimeError), atomic_files([a, b]) as (ta, tb):
        ta.write_text("new toml")
        raise RuntimeError("the figure failed")
    assert listing(tmp_path) == before


def test_file_set_rolls_back_when_a_move_fails(tmp_path, monkeypatch):
    a, b = tmp_path / "fit.toml", tmp_path / "fit.txt"
    with atomic_files([a, b]) as (ta, tb):
        ta.write_text("old toml")
        tb.write_text("old txt")
    before = listing(tmp_path)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2 and Path(dst) == b:  # the second file cannot be moved
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OutputError, match="No space left"), atomic_files([a, b]) as (ta, tb):
        ta.write_text("new toml")
        tb.write_text("new txt")
    assert listing(tmp_path) == before


def test_calibrate_refuses_to_overwrite_a_users_file_before_fitting(tmp_path):
    mine = tmp_path / "fitted.toml"
    mine.write_text("# my own scenario\n")
    data = tmp_path / "d.csv"
    data.write_text("time,Y\n0,1\n1,2\n")
    result = invoke("calibrate", data, "--model", LINEAR, "--param", "X1=0:1", "-o", mine, ok=2)
    assert "was not written by lifecycle" in result.stderr
    assert mine.read_text() == "# my own scenario\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "fitted.toml"]


# -- 5. paths that cannot be output folders, refused before anything runs ------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "the output name is empty"),
        ("/", "root folder"),
        (".", "current folder"),
        ("..", "holds the current folder"),
        ("afile/out", "is a file, so nothing can be created in it"),
        ("afile", "is a file, not a folder"),
        ("link", "symbolic link"),
    ],
)
def test_bad_output_paths_are_refused_before_the_run(tmp_path, monkeypatch, target, message):
    work = tmp_path / "work"
    work.mkdir()
    (work / "afile").write_text("keep\n")
    (tmp_path / "real").mkdir()
    (work / "link").symlink_to(tmp_path / "real")
    fail = work / "fail.toml"  # would fail with exit 1 if it ran
    fail.write_text('name = "fails"\n[params]\nfail_time = 3\n')
    monkeypatch.chdir(work)
    before = listing(tmp_path)
    result = invoke("run", fail, "--model", NAN_MODEL, "-o", target, ok=2)
    assert message in result.stderr, result.stderr
    assert listing(tmp_path) == before
    assert (work / "link").is_symlink()


def test_an_unwritable_parent_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    result = invoke("run", BASELINE, "-o", ro / "out", ok=2)
    assert "not writable" in result.stderr


def test_a_full_disk_is_a_message_and_leaves_nothing(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pandas.DataFrame.to_csv", full)
    result = invoke("run", BASELINE, "-o", tmp_path / "out", "--final-time", 1, ok=2)
    assert "No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- umask, swap, fallback -------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_folders_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "a.csv").write_text("x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_replacing_keeps_nothing_of_the_old_set(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "old.csv").write_text("old\n")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "old.png").write_text("old\n")
    inode = target.stat().st_ino
    with atomic_dir(target) as tmp:
        (tmp / "new.csv").write_text("new\n")
    assert sorted(listing(tmp_path)) == [f"out/{MANIFEST}", "out/new.csv"]
    assert json.loads((target / MANIFEST).read_text())["files"].keys() == {"new.csv"}
    # the exchange puts the staged folder in place; the fallback fills the existing one
    assert (target.stat().st_ino == inode) is (not exchange)


# -- 4. signals: no leftovers, old output intact ----------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_killed_writer_leaves_no_temporary_folder(tmp_path, signum):
    """A writer killed while it stages its folder removes the staging folder; the earlier
    output is untouched."""
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "old.csv").write_text("old\n")
    before = listing(tmp_path)
    script = (
        "import sys, time\n"
        "from lifecycle.outputs import atomic_dir\n"
        "with atomic_dir(sys.argv[1]) as tmp:\n"
        "    (tmp / 'new.csv').write_text('new')\n"
        "    print('staged', flush=True)\n"
        "    time.sleep(30)\n"
    )
    # The writer gets the signal's default disposition: a shell that starts the suite in the
    # background (CI may) has SIGINT ignored, a disposition children inherit and that
    # atomic_dir rightly leaves alone.
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),
    )
    try:
        with proc.stdout:
            assert proc.stdout.readline().strip() == "staged"
        assert any(p.name.startswith(".out.tmp-") for p in tmp_path.iterdir())
        proc.send_signal(signum)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.slow
def test_sigterm_during_a_real_run_leaves_no_leftovers(tmp_path):
    """``lifecycle run`` of every scenario, killed with SIGTERM while it writes: either the
    old output or the new one, whole, and nothing else."""
    if not LIFECYCLE.exists():
        pytest.skip(f"{LIFECYCLE} is not installed")
    out = tmp_path / "out"
    args = [str(LIFECYCLE), "run", *map(str, sorted(BASELINE.parent.glob("*.toml"))), "-o"]
    subprocess.run([*args, str(out), "--final-time", "5"], check=True, capture_output=True)
    before = listing(tmp_path)
    for _attempt in range(3):  # on a loaded machine the write may finish before the kill
        proc = subprocess.Popen([*args, str(out)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.startswith(".out.tmp-") for p in tmp_path.iterdir()):
                proc.send_signal(signal.SIGTERM)  # while it writes the files
                break
            time.sleep(0.002)
        proc.wait(timeout=60)
        if proc.returncode == 128 + signal.SIGTERM:
            break
        before = listing(tmp_path)  # it finished: its output is the one to keep
    assert proc.returncode == 128 + signal.SIGTERM, "the kill came too late to test anything"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert listing(tmp_path) == before


def test_a_staging_folder_left_by_sigkill_is_removed_by_the_next_writer(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(proc.stdout)
    stale = tmp_path / f".out.tmp-{dead}-0123abcd"
    stale.mkdir()
    (stale / "half.csv").write_text("half")
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.csv").write_text("a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- 6. concurrent writers ---------------------------------------------------------------------

_WRITER = """
import sys, time
from lifecycle.outputs import atomic_dir
target, me = sys.argv[1], sys.argv[2]
for i in range(int(sys.argv[3])):
    with atomic_dir(target) as tmp:
        for k in range(5):
            (tmp / f"part{k}.csv").write_text(f"{me} {i}\\n")
"""


def test_concurrent_writers_are_serialised_and_never_leave_a_missing_or_mixed_folder(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "part0.csv").write_text("seed\n")
    seen = {"missing": 0, "reads": 0}
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                names = os.listdir(target)
            except FileNotFoundError:
                seen["missing"] += 1
                continue
            seen["reads"] += bool(names)

    thread = threading.Thread(target=reader)
    thread.start()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(target), str(w), "15"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    stop.set()
    thread.join()
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert "Traceback" not in "".join(errors)
    assert seen["missing"] == 0 and seen["reads"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp, no lock left
    final = {(target / f"part{k}.csv").read_text() for k in range(5)}
    assert len(final) == 1  # one writer's set, whole


def test_the_second_writer_is_told_and_refused_after_the_timeout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(outputs, "LOCK_TIMEOUT", 0.3)
    target = tmp_path / "out"
    fd = os.open(tmp_path / ".out.lock", os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(OutputError, match="another lifecycle process is still writing"):
            with atomic_dir(target) as tmp:
                (tmp / "a.csv").write_text("a")
    finally:
        os.close(fd)
    assert "(pid 4242) is writing" in capsys.readouterr().err
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock"]  # the holder's


def test_manifest_lists_every_file_with_its_hash(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("a\n")
    write_manifest(folder, command=["lifecycle", "run"])
    record = json.loads((folder / MANIFEST).read_text())
    assert record["command"] == ["lifecycle", "run"]
    assert record["files"]["a.csv"]["size"] == 2
    assert outputs.foreign_files(folder) == []
    (folder / "a.csv").write_text("b\n")
    assert outputs.foreign_files(folder) == ["a.csv"]
