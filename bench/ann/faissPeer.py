"""bench/ann, the peer: FAISS itself (faiss-cpu from PyPI), on the same job as our side.

python faissPeer.py '<AnnJob as JSON>' (bench/ann/job.ts) builds and sweeps every index of the
job exactly as bench/ann/oursMain.ts does, with the same data file, factory strings, training
sample, parameters and thread counts, and prints one `BENCH_RESULT {AnnSideReport}` line.
Run by bench/ann/run.ts in the venv of bench/ann/requirements.txt.
"""

import json
import os
import re
import sys
import time

if os.environ.get("BENCH_ANN_FAISS_GENERIC") == "1":
    # Investigation only: make faiss-cpu's loader fall back from its AVX2/AVX512 module to the
    # generic one (wheels that ship separate modules, such as 1.7.3), like Debian's build.
    for variant in ("avx2", "avx512", "avx512_spr", "sve"):
        sys.modules[f"faiss.swigfaiss_{variant}"] = None

import faiss  # noqa: E402
import numpy as np  # noqa: E402


def status_kb(field):
    with open("/proc/self/status", encoding="utf8") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M)
    return int(match.group(1)) if match else float("nan")


def loaded_blas():
    with open("/proc/self/maps", encoding="utf8") as maps:
        paths = {line[line.find("/") :].strip() for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(p.rsplit("/", 1)[-1] for p in paths)) or "none mapped"


def percentile(sorted_values, p):
    """Nearest rank, as job.ts's percentile."""
    rank = min(len(sorted_values) - 1, max(0, -(-p * len(sorted_values) // 100) - 1))
    return sorted_values[int(rank)]


def recall_of(found, truth, k):
    hits = 0
    for row_found, row_truth in zip(found, truth):
        hits += len(set(row_found.tolist()) & set(row_truth.tolist()))
    return hits / (truth.shape[0] * k)


def search_params(param, value):
    params = faiss.SearchParametersIVF() if param == "nprobe" else faiss.SearchParametersHNSW()
    setattr(params, param, value)
    return params


def sweep(job, index, index_job, queries, truth):
    k = job["k"]
    n = job["queries"]
    results = []
    for threads in job["threads"]:
        faiss.omp_set_num_threads(threads)
        for value in index_job["values"]:
            params = search_params(index_job["param"], value)
            found = None
            batch_seconds = []
            sweep_started = time.perf_counter()
            repeat = 0
            # As ours: at least batchRepeats repeats and batchMinSeconds, the median reported.
            while repeat < job["batchRepeats"] or time.perf_counter() - sweep_started < job["batchMinSeconds"]:
                started = time.perf_counter()
                parts = []
                for start in range(0, n, job["batchSize"]):
                    _, ids = index.search(queries[start : start + job["batchSize"]], k, params=params)
                    parts.append(ids)
                batch_seconds.append(time.perf_counter() - started)
                if repeat == 0:
                    found = np.concatenate(parts)
                repeat += 1
            for q in range(job["warmup"]):
                index.search(queries[q % n : q % n + 1], k, params=params)
            sync = []
            for q in range(n):
                started = time.perf_counter()
                index.search(queries[q : q + 1], k, params=params)
                sync.append((time.perf_counter() - started) * 1000)
            sync.sort()
            result = {
                "threads": threads,
                "value": value,
                "recall": round(recall_of(found, truth, k), 3),
                "batchQps": round(n / float(np.median(batch_seconds))),
                "p50Ms": round(percentile(sync, 50), 3),
                "p99Ms": round(percentile(sync, 99), 3),
                "meanMs": round(sum(sync) / len(sync), 3),
            }
            print(f"faiss {index_job['name']} {json.dumps(result)}", file=sys.stderr, flush=True)
            results.append(result)
    return results


def main():
    job = json.loads(sys.argv[1])
    size, dimension, n, k = job["size"], job["dimension"], job["queries"], job["k"]
    everything = np.fromfile(job["vectorsFile"], dtype="<f4").reshape(-1, dimension)
    base = everything[:size]
    queries = np.ascontiguousarray(everything[size : size + n])
    truth = np.fromfile(job["truthFile"], dtype="<i8").reshape(n, k)
    indexes = []
    peak_rss_mib = 0
    for index_job in job["indexes"]:
        rss_before = status_kb("VmRSS")
        faiss.omp_set_num_threads(job["buildThreads"])
        index = faiss.index_factory(dimension, index_job["factory"], faiss.METRIC_L2)
        started = time.perf_counter()
        if index_job["trainSize"] > 0:
            index.train(base[: min(index_job["trainSize"], size)])
        train_seconds = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        index.add(base)  # ids are positions: vector i has id i, as on our side
        add_seconds = round(time.perf_counter() - started, 3)
        rss_growth = round((status_kb("VmRSS") - rss_before) / 1024)
        print(
            f"faiss {index_job['name']}: {type(index).__name__}, train {train_seconds} s, "
            f"add {add_seconds} s",
            file=sys.stderr,
            flush=True,
        )
        configs = sweep(job, index, index_job, queries, truth)
        peak_rss_mib = max(peak_rss_mib, round(status_kb("VmHWM") / 1024))
        serialized = faiss.serialize_index(index)
        indexes.append(
            {
                "name": index_job["name"],
                "factory": index_job["factory"],
                "indexType": type(index).__name__,
                "trainSeconds": train_seconds,
                "addSeconds": add_seconds,
                "rssGrowthMiB": rss_growth,
                "serializedMiB": round(serialized.nbytes / 2**20),
                "configs": configs,
            }
        )
        del serialized, index
    report = {
        "side": "faiss",
        "faissVersion": faiss.__version__,
        "build": (
            f"faiss-cpu {faiss.__version__} wheel (PyPI), compile options "
            f"'{faiss.get_compile_options().strip()}' (the module it loaded), its bundled "
            f"libgomp; BLAS loaded: {loaded_blas()}; "
            f"numpy {np.__version__}"
        ),
        "peakRssMiB": peak_rss_mib,
        "indexes": indexes,
    }
    print("BENCH_RESULT " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
