#!/usr/bin/env python3
"""Prints per-class mutation scores from PIT's mutations.csv reports.

Score = (killed + timed out) / all mutants, nested classes counted with their outer class.
Usage: scripts/mutation-scores.py core/target/pit-reports/mutations.csv [more.csv ...]
"""
import collections
import csv
import sys


def main(paths):
    stats = collections.defaultdict(collections.Counter)
    for path in paths:
        with open(path, newline='') as report:
            for row in csv.reader(report):
                # file, class, mutator, method, line, status, killing test
                outer = row[1].split('$')[0].rsplit('.', 1)[-1]
                stats[outer][row[5]] += 1
    total = collections.Counter()
    print(f"{'class':32s} {'score':>7s} {'mutants':>7s}  survived  no-coverage  timed-out")
    for name in sorted(stats):
        counts = stats[name]
        total.update(counts)
        print(line(name, counts))
    print(line('all', total))


def line(name, counts):
    mutants = sum(counts.values())
    caught = counts['KILLED'] + counts['TIMED_OUT']
    return (f"{name:32s} {100.0 * caught / mutants:6.1f}% {mutants:7d}  {counts['SURVIVED']:8d}"
            f"  {counts['NO_COVERAGE']:11d}  {counts['TIMED_OUT']:9d}")


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
