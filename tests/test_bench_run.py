"""bench/run.py: the median of several runs of a scenario, leaf by leaf; the end-of-run table."""

import json
import sys
import types

import pytest

from bench import common
from bench import run as bench_run
from bench.run import median_of


def test_numbers_take_the_median_and_everything_else_the_first_run():
    runs = [
        {"rps": 900.0, "p99_ms": 40.1, "rows": 5000, "ok": True, "via": "http", "statuses": {"200": 10}},
        {"rps": 1100.0, "p99_ms": 55.0, "rows": 5000, "ok": False, "via": "http", "statuses": {"200": 12}},
        {"rps": 1000.0, "p99_ms": 38.0, "rows": 5000, "ok": True, "via": "http", "statuses": {"200": 11}},
    ]
    assert median_of(runs) == {
        "rps": 1000.0,
        "p99_ms": 40.1,
        "rows": 5000,
        "ok": True,
        "via": "http",
        "statuses": {"200": 11},
    }


def test_lists_of_equal_length_go_item_by_item_and_missing_keys_count_as_the_first_runs():
    runs = [{"configs": [{"msg_s": 500}, {"msg_s": 900}]}, {"configs": [{"msg_s": 700}, {"msg_s": 800}]}, {}]
    assert median_of(runs) == {"configs": [{"msg_s": 500}, {"msg_s": 900}]}
    assert median_of([{"a": [1, 2]}, {"a": [3]}]) == {"a": [1, 2]}
    assert median_of([1, 4, 2, 8]) == 3.0


# ---- the end-of-run table ----------------------------------------------------------------------


def _scenario(name: str, runs=None, summary=True, error=None) -> types.ModuleType:
    """A scenario module: run() returns the next of `runs` (or raises `error`); summary() if asked."""
    module = types.ModuleType(name)
    values = iter(runs or [])

    def run(scale, quick=False):
        if error is not None:
            raise error
        return {"scenario": name, "scale": scale, "search": {"rps": next(values), "p99_ms": 30.0}}

    module.run = run
    if summary:
        module.summary = lambda result: [
            {
                "figure": "search",
                "value": result["search"]["rps"],
                "unit": "req/s",
                "target": ">= 1000",
                "met": result["search"]["rps"] >= 1000,
            },
            {"figure": "p99", "value": result["search"]["p99_ms"], "unit": "ms", "target": None, "met": None},
        ]
    return module


@pytest.fixture
def scenarios(monkeypatch, tmp_path):
    """Put fake scenarios good/broken/bare in bench.run's list, results in tmp_path; return a setter."""
    monkeypatch.setattr(bench_run, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(bench_run, "machine", lambda: {"cores": 2})
    for scale in ("tunxi", "anhui-slice"):
        (tmp_path / f"manifest-{scale}.json").write_text("{}")

    def put(**modules):
        monkeypatch.setattr(bench_run, "SCENARIOS", tuple(modules))
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, f"fake_scenario_{name}", module)
            monkeypatch.setitem(bench_run.MODULES, name, f"fake_scenario_{name}")

    return put


def test_each_scenario_gives_its_rows_a_failure_is_a_row_and_the_rest_still_run(scenarios, tmp_path, capsys):
    scenarios(
        broken=_scenario("broken", error=RuntimeError("MariaDB went away")),
        good=_scenario("good", runs=[1200.0]),
        bare=_scenario("bare", runs=[5.0], summary=False),
    )
    bench_run.main(["--scale", "tunxi", "--no-generate", "--only", "broken,good,bare"])
    written = json.loads((tmp_path / "summary-tunxi.json").read_text())
    rows = [(row["scenario"], row["figure"], row["value"], row["met"]) for row in written["table"]]
    assert rows == [
        ("broken", "failed", None, False),
        ("good", "search", 1200.0, True),
        ("good", "p99", 30.0, None),
        ("bare", "no summary", None, None),
    ]
    assert "MariaDB went away" in written["table"][0]["error"]
    assert written["scenarios"]["good"]["search"]["rps"] == 1200.0
    printed = capsys.readouterr().out
    assert "MariaDB went away" in printed
    assert "1,200 req/s" in printed and " met" in printed


def test_repeated_runs_show_the_median_every_run_and_the_worst(scenarios, tmp_path, capsys):
    scenarios(good=_scenario("good", runs=[900.0, 1300.0, 400.0]))
    bench_run.main(["--scale", "tunxi", "--no-generate", "--only", "good", "--repeat", "3"])
    first = json.loads((tmp_path / "summary-tunxi.json").read_text())["table"][0]
    assert (first["value"], first["runs"], first["worst_run"], first["met"]) == (
        900.0,
        [900.0, 1300.0, 400.0],
        3,
        False,
    )
    assert "900 req/s (runs 900 · 1,300 · 400; worst: run 3)" in capsys.readouterr().out


def test_anhui_slice_names_each_figures_growth_against_huangshan(scenarios, tmp_path, capsys):
    scenarios(good=_scenario("good", runs=[600.0]))
    huangshan = {"table": [{"scenario": "good", "figure": "search", "value": 1200.0}]}
    (tmp_path / "summary-huangshan.json").write_text(json.dumps(huangshan))
    bench_run.main(["--scale", "anhui-slice", "--no-generate", "--only", "good"])
    search, p99 = json.loads((tmp_path / "summary-anhui-slice.json").read_text())["table"]
    assert (search["huangshan_value"], search["growth"]) == (1200.0, 0.5)
    assert (p99["huangshan_value"], p99["growth"]) == (None, None)
    assert "huangshan 1,200, ×0.5" in capsys.readouterr().out


def test_the_scenarios_summaries_read_one_run_and_the_median_of_several():
    from bench import scenario_exchange, scenario_search, scenario_snapshot

    def search(rps):
        load = {"rps": rps, "p99_ms": 40.0, "workers": {"busiest_cpu_share": 0.9}}
        return {
            "front": "nginx",
            "search": {"rps": rps, "p99_ms": 40.0},
            "fixed": {"rps": 2 * rps, "p99_ms": 20.0},
            "naive": {"rps": 8.0, "p99_ms": 3000.0},
            "direct": load,
            "ratios": {"search_vs_fixed_rps": 0.5, "search_vs_naive_rps": rps / 8.0},
        }

    runs = [search(900.0), search(1100.0), search(1050.0)]
    rows = {row["figure"]: row for row in scenario_search.summary(bench_run.median_of(runs))}
    assert (
        rows["search, 16 connections via nginx"]["value"],
        rows["search, 16 connections via nginx"]["met"],
    ) == (
        1050.0,
        True,
    )
    assert rows["search ÷ fixed floor"]["met"] is True
    assert rows["direct: busiest worker's CPU share"]["value"] == 0.9
    snapshot = {"residents": 300000, "seconds": 1.6, "runs": [{"seconds": 1.6}, {"seconds": 61.0}]}
    assert [(row["figure"], row["met"]) for row in scenario_snapshot.summary(snapshot)] == [
        ("residents in the ledger", None),
        ("ledger snapshot", True),
        ("snapshot again (replacing the month)", False),
    ]
    exchange = {
        "records_per_second": 289.0,
        "changes_per_second": 80.0,
        "all_sent": True,
        "delivered_once": False,
        "in_order_per_person": True,
    }
    assert scenario_exchange.summary(exchange)[-1]["met"] is False
