"""A SIGTERM (a cluster's preemption) asks a run to stop at its next safe point; `clue` reports the
stop in one line with exit status 143."""

from __future__ import annotations

import os
import signal

import pytest

from trainers.spec import TrainerSpec
from trainers.stopping import SafeStop, StopRequested


def test_the_first_sigterm_is_recorded_and_a_second_stops_at_once():
    before = signal.getsignal(signal.SIGTERM)
    with SafeStop() as stop:
        assert stop.requested is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested == signal.SIGTERM  # recorded, nothing raised: the run goes on to a safe point
        with pytest.raises(StopRequested, match="second SIGTERM") as err:
            os.kill(os.getpid(), signal.SIGTERM)
        assert err.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_clue_reports_a_trainers_stop_in_one_line_with_143(monkeypatch, tmp_path, capsys):
    import cli
    import trainers.spec

    def run(request):
        raise StopRequested(signal.SIGTERM, f"after iteration 2 of 6, saved in {request.out_dir}/latest")

    monkeypatch.setattr(trainers.spec, "get_trainer", lambda name: TrainerSpec("grpo", "", run, lambda: ""))
    rc = cli.main(["train", "--agent", "tiny", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 143 and len(err) == 1
    assert err[0] == f"clue: stopped by SIGTERM: after iteration 2 of 6, saved in {tmp_path / 'run'}/latest"
