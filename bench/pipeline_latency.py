#!/usr/bin/env python3
"""End-to-end latency driver for bench/pipeline-latency.sh: C-STORE answered -> prediction committed.

Sends synthetic photographs with DCMTK storescu at a steady rate (one association per image, as a camera does),
takes the moment storescu returns as "answered" (it returns after the C-STORE response and the association
release, so this slightly over-states nothing and under-states latency by the release round trip, well under
1 ms on loopback), then reads each prediction's CreatedAt from the host's SQLite database.
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


def predictions(database, uids, timeout_s):
    deadline = time.monotonic() + timeout_s
    found = {}
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
            rows = db.execute("SELECT i.SopInstanceUid, p.CreatedAt FROM Predictions p JOIN Instances i ON i.Id = p.InstanceId "
                              "WHERE p.Shadow = 0").fetchall()
        found = {uid: parse_created(created) for uid, created in rows if uid in uids}
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
    graded = predictions(args.database, set(answered), timeout_s=120)
    latencies = [(graded[uid] - answered[uid]).total_seconds() * 1000 for uid in graded]
    return rest, {"rate": rate, "sent": len(batch), "answered": len(answered), "graded": len(graded),
                  "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
                  "max": max(latencies)}


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
    graded = predictions(args.database, set(answered), timeout_s=300)
    done_s = (max(graded.values()) - begin).total_seconds()
    return rest, {"sent": count, "answered": len(answered), "graded": len(graded), "stored_per_s": len(answered) / stored_s,
                  "graded_per_s": len(graded) / done_s}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--images", required=True, help="a folder written by 'retinascreen synth'")
    parser.add_argument("--rates", default="1,5")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()

    with open(f"{args.images}/labels.csv", newline="") as labels:
        files = [(f"{args.images}/{row['file']}", row["sop_instance_uid"]) for row in csv.DictReader(labels)]

    print("| offered rate (images/s) | sent | answered | graded | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in (float(r) for r in args.rates.split(",")):
        files, r = run_steady(args, files, rate, args.seconds)
        print(f"| {rate:g} | {r['sent']} | {r['answered']} | {r['graded']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |",
              flush=True)
    if args.burst > 0:
        files, b = run_burst(args, files, args.burst, args.senders)
        print(f"\nburst of {b['sent']} from {args.senders} senders: answered {b['answered']}, graded {b['graded']}, "
              f"stored {b['stored_per_s']:.1f} images/s, graded {b['graded_per_s']:.1f} images/s (sustained maximum)")


if __name__ == "__main__":
    main()
