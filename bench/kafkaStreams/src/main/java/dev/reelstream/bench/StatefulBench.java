package dev.reelstream.bench;

import java.io.File;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Kafka Streams side of bench/stateful: source (key videoId, value BenchWatchEvent in Confluent
 * wire format, timestamp = event time) -> groupByKey (no repartition: the input is keyed by
 * video) -> hopping windows (size 5 min, advance 1 min, grace 1 min) -> count in a RocksDB window
 * store (record cache on, the default) -> to (key "videoId@windowStartMs", value the count as a
 * decimal string). One stream thread; processing.guarantee from --processing-guarantee.
 *
 * <p>The record cache (statestore.cache.max.bytes, 10 MiB by default) is left on: updates of a
 * window are merged in it and forwarded on eviction and at every commit, so the output holds
 * fewer records than there are window updates, and the last record of each window is its count.
 *
 * <p>It counts input records as they enter the topology and, once it has seen --records of them,
 * closes the application (which flushes the caches, commits and closes the stores) and prints one
 * line {@code BENCH_RESULT {...json...}} for bench/stateful/run.ts. Avro serde, argument parsing,
 * progress and process figures are StatelessBench's.
 */
public final class StatefulBench {
  private StatefulBench() {}

  public static void main(String[] argv) throws Exception {
    StatelessBench.Args args = StatelessBench.Args.parse(argv);
    Schema inputSchema = new Schema.Parser().parse(new File(args.required("input-schema")));
    int inputSchemaId = Integer.parseInt(args.required("input-schema-id"));
    long records = Long.parseLong(args.required("records"));
    long timeoutMs = Long.parseLong(args.get("timeout-s", "600")) * 1000;
    TimeWindows windows =
        TimeWindows.ofSizeAndGrace(
                Duration.ofMillis(Long.parseLong(args.required("window-size-ms"))),
                Duration.ofMillis(Long.parseLong(args.required("window-grace-ms"))))
            .advanceBy(Duration.ofMillis(Long.parseLong(args.required("window-advance-ms"))));

    StatelessBench.Progress progress = new StatelessBench.Progress(records);
    LongAdder outputs = new LongAdder();
    Topology topology =
        buildTopology(
            new Endpoints(args.required("input-topic"), args.required("output-topic")),
            new StatelessBench.ConfluentAvroSerde(inputSchema, inputSchemaId),
            windows,
            new Counters(progress, outputs));

    // --processing-guarantee, commit.interval.ms and the client settings shared with the other
    // engines come from bench/stateful/kafkaStreamsSide.ts.
    BenchRun run = BenchRun.untilDone(topology, BenchRun.properties(args), progress, timeoutMs);
    BenchRun.report(
        String.format(
            Locale.ROOT,
            "{\"records\":%d,\"outputs\":%d,%s}",
            progress.seen,
            outputs.sum(),
            run.figures(progress)));
  }

  record Endpoints(String inputTopic, String outputTopic) {}

  record Counters(StatelessBench.Progress progress, LongAdder outputs) {}

  static Topology buildTopology(
      Endpoints endpoints,
      StatelessBench.ConfluentAvroSerde inputSerde,
      TimeWindows windows,
      Counters counters) {
    Serde<GenericRecord> valueSerde = inputSerde;
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(endpoints.inputTopic(), Consumed.with(Serdes.String(), valueSerde))
        .peek((key, value) -> counters.progress().seen())
        .groupByKey(Grouped.with(Serdes.String(), valueSerde))
        .windowedBy(windows)
        .count(
            Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts")
                .withKeySerde(Serdes.String())
                .withValueSerde(Serdes.Long()))
        .toStream()
        .map(
            (window, count) ->
                KeyValue.pair(window.key() + "@" + window.window().start(), count.toString()))
        .peek((key, value) -> counters.outputs().increment())
        .to(endpoints.outputTopic(), Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }
}
