#!/usr/bin/env python3
"""End-to-end latency driver for bench/pipeline-latency.sh: C-STORE answered -> prediction committed.

Sends synthetic photographs with DCMTK storescu at a steady rate (one association per image, as a camera does),
takes the moment storescu returns as "answered" (it returns after the C-STORE response and the association
release, so this slightly over-states nothing and under-states latency by the release round trip, well under
1 ms on loopback), then reads each prediction's CreatedAt from the database: the embedded host's SQLite file, or
(--postgres) the distributed mode's PostgreSQL through psql and the libpq variables (PGHOST, PGDATABASE, ...).

--search RATES then looks for the maximum sustained rate: each rate runs steadily; it is sustained when every photograph
is graded, p95 stays under --bound-ms, and the backlog does not grow (the median latency of the last third of the
run is within 1.5x, plus 250 ms, of the first third's). The ladder stops at the first rate that is not sustained.
"""
import argparse
import csv
import datetime as dt
import sqlite3
import subprocess
import sys
import threading
import time


def send(port, path, answered, key):
    result = subprocess.run(["storescu", "-xy", "-aec", "RETINASCREEN", "127.0.0.1", str(port), path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"storescu failed for {path}: {result.stderr}", file=sys.stderr)
        return
    answered[key] = dt.datetime.now(dt.timezone.utc)


def parse_created(ticks):
    # RetinaScreen stores every DateTimeOffset as UTC .NET ticks (100 ns since 0001-01-01), so it sorts everywhere.
    return dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ticks // 10)


def percentile(values, p):
    # Nearest-rank, as the other benchmarks in docs/benchmarks.md.
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def committed(args):
    if args.postgres:
        out = subprocess.run(["psql", "-At", "-F", "|", "-c",
                              'SELECT i."SopInstanceUid", p."CreatedAt" FROM "Predictions" p '
                              'JOIN "Instances" i ON i."Id" = p."InstanceId" WHERE NOT p."Shadow"'],
                             capture_output=True, text=True, check=True).stdout
        rows = (line.split("|") for line in out.splitlines() if line)
        return {uid: parse_created(int(ticks)) for uid, ticks in rows}
    with sqlite3.connect(f"file:{args.database}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("SELECT i.SopInstanceUid, p.CreatedAt FROM Predictions p JOIN Instances i ON i.Id = p.InstanceId "
                          "WHERE p.Shadow = 0").fetchall()
    return {uid: parse_created(created) for uid, created in rows}


def predictions(args, uids, timeout_s):
    deadline = time.monotonic() + timeout_s
    found = {}
    while time.monotonic() < deadline:
        found = {uid: at for uid, at in committed(args).items() if uid in uids}
        if len(found) == len(uids):
            break
        time.sleep(0.5)
    return found


def run_steady(args, files, rate, duration_s):
    count = int(rate * duration_s)
    batch, rest = files[:count], files[count:]
    answered, threads = {}, []
    start = time.monotonic()
    for n, (path, uid) in enumerate(batch):
        # A fixed schedule (not "sleep after each send"), so a slow answer does not lower the offered rate.
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=send, args=(args.port, path, answered, uid))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    graded = predictions(args, set(answered), timeout_s=120)
    # In sending order, to see whether a backlog builds through the run.
    latencies = [(graded[uid] - answered[uid]).total_seconds() * 1000 for _, uid in batch if uid in graded]
    third = max(1, len(latencies) // 3)
    return rest, {"rate": rate, "sent": len(batch), "answered": len(answered), "graded": len(graded),
                  "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
                  "max": max(latencies), "first": percentile(latencies[:third], 50), "last": percentile(latencies[-third:], 50)}


def row(r):
    return (f"| {r['rate']:g} | {r['sent']} | {r['answered']} | {r['graded']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} "
            f"| {r['max']:.0f} | {r['first']:.0f} → {r['last']:.0f} |")


def sustained(r, bound_ms):
    return (r["graded"] == r["answered"] == r["sent"] and r["p95"] <= bound_ms
            and r["last"] <= 1.5 * r["first"] + 250)


def run_burst(args, files, count, senders):
    """Everything at once from parallel senders: the graded rate once the queue is full is the sustained maximum."""
    batch, rest = files[:count], files[count:]
    answered, threads = {}, []
    begin = dt.datetime.now(dt.timezone.utc)
    for s in range(senders):
        share = batch[s::senders]
        thread = threading.Thread(target=lambda share=share: [send(args.port, p, answered, u) for p, u in share])
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    stored_s = (dt.datetime.now(dt.timezone.utc) - begin).total_seconds()
    graded = predictions(args, set(answered), timeout_s=300)
    done_s = (max(graded.values()) - begin).total_seconds()
    return rest, {"sent": count, "answered": len(answered), "graded": len(graded), "stored_per_s": len(answered) / stored_s,
                  "graded_per_s": len(graded) / done_s}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--database", help="the embedded host's SQLite file")
    source.add_argument("--postgres", action="store_true", help="the distributed mode's database, through psql and PG* variables")
    parser.add_argument("--images", required=True, help="a folder written by 'retinascreen synth'")
    parser.add_argument("--rates", default="1,5")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--search", default="", help="rates to climb for the maximum sustained rate, e.g. 8,10,12,15")
    parser.add_argument("--search-seconds", type=float, default=20)
    parser.add_argument("--bound-ms", type=float, default=2000, help="p95 above this is not sustained")
    args = parser.parse_args()

    with open(f"{args.images}/labels.csv", newline="") as labels:
        files = [(f"{args.images}/{row['file']}", row["sop_instance_uid"]) for row in csv.DictReader(labels)]

    header = ("| offered rate (images/s) | sent | answered | graded | p50 ms | p95 ms | p99 ms | max ms | median first → last third ms |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(header)
    for rate in (float(r) for r in args.rates.split(",") if r):
        files, r = run_steady(args, files, rate, args.seconds)
        print(row(r), flush=True)
    if args.search:
        print(f"\nmaximum sustained rate: {args.search_seconds:g} s per rate, p95 <= {args.bound_ms:.0f} ms, no growing backlog\n")
        print(header)
        best = None
        for rate in (float(r) for r in args.search.split(",")):
            if len(files) < rate * args.search_seconds:
                print(f"(stopped: too few images left for {rate:g}/s; raise BENCH_IMAGES)")
                break
            time.sleep(5)  # let the previous rate's queue drain
            files, r = run_steady(args, files, rate, args.search_seconds)
            ok = sustained(r, args.bound_ms)
            print(row(r) + ("" if ok else " not sustained"), flush=True)
            if not ok:
                break
            best = rate
        print(f"\nmaximum sustained rate: {best:g} images/s" if best else "\nno searched rate was sustained")
    if args.burst > 0:
        files, b = run_burst(args, files, args.burst, args.senders)
        print(f"\nburst of {b['sent']} from {args.senders} senders: answered {b['answered']}, graded {b['graded']}, "
              f"stored {b['stored_per_s']:.1f} images/s, graded {b['graded_per_s']:.1f} images/s (sustained maximum)")


if __name__ == "__main__":
    main()
