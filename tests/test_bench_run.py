"""bench/run.py: the median of several runs of a scenario, leaf by leaf."""

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
