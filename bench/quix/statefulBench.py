"""Quix Streams side of bench/stateful (run by bench/stateful/quixSide.ts).

source (key videoId, value BenchWatchEvent in Confluent wire format, timestamp = event time)
  -> hopping_window(5 min, step 1 min, grace 1 min).count().current()   RocksDB state
  -> to_topic (key "<videoId>@<windowStartMs>", value the count as a decimal string)

`.current()` emits every window update: each input record updates the (up to 5) windows it
falls in and produces one output record per window, with no cache in between. Windows close per
key (Quix's default closing strategy): a window is deleted from the store when a later record of
the same video moves past its end + grace.

It counts input records as Quix reports them processed and, once it has seen --records of them,
stops the application (which commits the last checkpoint: producer flush, offsets, state) and
prints one line `BENCH_RESULT {json}` for the harness.
"""

import argparse
import io
import json
import struct
import sys
import time
from importlib.metadata import version

from fastavro import parse_schema, schemaless_reader
from quixstreams import Application
from quixstreams.models.serializers import Deserializer, Serializer

LAUNCHED = time.perf_counter()


class ConfluentAvroDeserializer(Deserializer):
    """Confluent wire format: magic byte 0, big-endian schema id, Avro binary body."""

    def __init__(self, schema_file: str, schema_id: int):
        super().__init__()
        with open(schema_file, encoding="utf-8") as file:
            schema = json.load(file)
        # Read eventTime (timestamp-millis) as a plain long, as Avro's GenericDatumReader does on
        # the Java side: no datetime objects are made (the window uses the record timestamp).
        for field in schema["fields"]:
            if isinstance(field["type"], dict) and "logicalType" in field["type"]:
                field["type"] = field["type"]["type"]
        self._schema = parse_schema(schema)
        self._schema_id = schema_id

    def __call__(self, value: bytes, ctx):
        magic, schema_id = struct.unpack_from(">bI", value)
        if magic != 0 or schema_id != self._schema_id:
            raise ValueError(f"unexpected value header: magic {magic}, schema id {schema_id}")
        return schemaless_reader(io.BytesIO(value[5:]), self._schema, None)


class CountSerializer(Serializer):
    """Writes the count of an (output key, count) pair as a UTF-8 decimal string."""

    def __call__(self, value, ctx) -> bytes:
        return str(value[1]).encode()


class Progress:
    """Counts processed input records; stops the application at the last one."""

    def __init__(self, target: int):
        self.target = target
        self.seen = 0
        self.outputs = 0
        self.first = None
        self.last = None
        self.cpu_at_first = 0.0
        self.cpu_at_last = 0.0
        self.app = None

    def processed(self, topic, partition, offset):
        self.seen += 1
        if self.seen == 1:
            self.first = time.perf_counter()
            self.cpu_at_first = time.process_time()
        if self.seen == self.target:
            self.last = time.perf_counter()
            self.cpu_at_last = time.process_time()
            self.app.stop()

    def output(self, window, key, timestamp, headers):
        self.outputs += 1
        return (f"{key}@{window['start']}", window["value"])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in (
        "bootstrap",
        "consumer-group",
        "state-dir",
        "input-topic",
        "output-topic",
        "input-schema",
    ):
        parser.add_argument(f"--{name}", required=True)
    for name in (
        "input-schema-id",
        "records",
        "window-size-ms",
        "window-advance-ms",
        "window-grace-ms",
        "commit-interval-ms",
    ):
        parser.add_argument(f"--{name}", required=True, type=int)
    parser.add_argument("--guarantee", choices=("exactly-once", "at-least-once"), required=True)
    parser.add_argument("--timeout-s", type=int, default=600)
    parser.add_argument("--producer-config", type=json.loads, default={})
    parser.add_argument("--consumer-config", type=json.loads, default={})
    return parser.parse_args()


def main():
    args = parse_args()
    progress = Progress(args.records)
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.consumer_group,
        auto_offset_reset="earliest",
        commit_interval=args.commit_interval_ms / 1000,
        processing_guarantee=args.guarantee,
        state_dir=args.state_dir,
        producer_extra_config=args.producer_config,
        consumer_extra_config=args.consumer_config,
        on_message_processed=progress.processed,
        loglevel="WARNING",
    )
    progress.app = app
    source = app.topic(
        args.input_topic,
        key_deserializer="str",
        value_deserializer=ConfluentAvroDeserializer(args.input_schema, args.input_schema_id),
    )
    sink = app.topic(args.output_topic, key_serializer="str", value_serializer=CountSerializer())
    (
        app.dataframe(source)
        .hopping_window(
            duration_ms=args.window_size_ms,
            step_ms=args.window_advance_ms,
            grace_ms=args.window_grace_ms,
            name="counts",
        )
        .count()
        .current()
        .apply(progress.output, metadata=True)
        .to_topic(sink, key=lambda pair: pair[0])
    )
    # collect=False: run() would otherwise keep every output in a list (it does with a timeout).
    app.run(timeout=args.timeout_s, collect=False)
    closed = time.perf_counter()
    if progress.last is None:
        print(
            f"quix bench: stopped with {progress.seen} of {args.records} records",
            file=sys.stderr,
        )
        sys.exit(3)
    result = {
        "records": progress.seen,
        "outputs": progress.outputs,
        "firstToLastS": progress.last - progress.first,
        "firstToClosedS": closed - progress.first,
        "launchToFirstS": progress.first - LAUNCHED,
        "cpuSecondsFirstToLast": progress.cpu_at_last - progress.cpu_at_first,
        "cpuSecondsTotal": time.process_time(),
        "quixVersion": version("quixstreams"),
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
