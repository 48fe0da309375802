"""The tests: one folder per wing (people, jobs, stations, grid, push), cross-wing ones here."""
