package dev.reelstream.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KGroupedTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

/**
 * The Kafka Streams side of reelstream's differential suite (test/differential/README.md).
 * Reads one case per line of stdin (JSON), runs it through a fresh TopologyTestDriver and writes
 * one line of JSON to stdout: per input record, the records each output topic received because
 * of it, rendered as strings the TypeScript side renders the same way. One JVM for all cases,
 * so the suite pays the JVM's start once.
 *
 * Kinds: "window" (a windowed count: tumbling, hopping, sliding or session, emitted on update or
 * at close), "join" (stream-table inner or left join), "windowedJoin" (inner stream-stream join)
 * and "tableAgg" (KTable.groupBy count and reduce with a subtractor). The record cache is off, so every update is forwarded (reelstream
 * forwards every update), and the wall-clock interval of onWindowClose is 0, so closed windows
 * are checked on every record (reelstream closes them when the record is processed).
 */
public final class Harness {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Harness() {}

  /**
   * Where the drivers' RocksDB files go (the first argument). On a tmpfs (/dev/shm) opening and
   * closing a store per case costs no fsync: two to four times faster on a busy disk.
   */
  private static String stateDir = null;

  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      stateDir = args[0];
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode testCase = JSON.readTree(line);
      ObjectNode result = JSON.createObjectNode();
      result.put("id", testCase.get("id").asText());
      try {
        result.set("outputs", run(testCase));
      } catch (Exception | Error e) {
        result.put("error", e.toString());
      }
      out.println(JSON.writeValueAsString(result));
      out.flush();
    }
  }

  /** Runs one case; returns, per input record, the outputs it caused. */
  private static ArrayNode run(JsonNode testCase) {
    Properties props = new Properties();
    // Kafka Streams' default stores (RocksDB): in-memory stores answer onWindowClose fetches
    // differently, so they would not be the Kafka Streams users run.
    props.put(
        StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG,
        BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "differential");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION, 0L);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    if (stateDir != null) {
      props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    }
    StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
    List<String> outputs = build(builder, testCase);
    Topology topology = builder.build();
    ArrayNode perRecord = JSON.createArrayNode();
    try (TopologyTestDriver driver =
        new TopologyTestDriver(topology, props, Instant.ofEpochMilli(0))) {
      Map<String, TestInputTopic<String, String>> inputs = new HashMap<>();
      List<TestOutputTopic<String, String>> outs = new ArrayList<>();
      for (String topic : outputs) {
        outs.add(
            driver.createOutputTopic(topic, new StringDeserializer(), new StringDeserializer()));
      }
      for (JsonNode record : testCase.get("records")) {
        String topic = record.get("topic").asText();
        TestInputTopic<String, String> input =
            inputs.computeIfAbsent(
                topic,
                t -> driver.createInputTopic(t, new StringSerializer(), new StringSerializer()));
        input.pipeInput(
            text(record.get("key")), text(record.get("value")), record.get("ts").asLong());
        ArrayNode caused = JSON.createArrayNode();
        for (int i = 0; i < outs.size(); i += 1) {
          for (KeyValue<String, String> kv : outs.get(i).readKeyValuesToList()) {
            caused.add(outputs.get(i) + ":" + kv.key + "=" + kv.value);
          }
        }
        perRecord.add(caused);
      }
    }
    return perRecord;
  }

  private static String text(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  /** Adds the case's topology; returns its output topics, in the order outputs are listed. */
  private static List<String> build(StreamsBuilder builder, JsonNode testCase) {
    String kind = testCase.get("kind").asText();
    switch (kind) {
      case "window":
        windowedCount(builder, testCase.get("window"), testCase.get("emit").asText());
        return List.of("out");
      case "join":
        join(builder, testCase.get("join").asText());
        return List.of("out");
      case "windowedJoin":
        windowedJoin(builder, testCase.get("windows"));
        return List.of("out");
      case "tableAgg":
        tableAggregation(builder);
        return List.of("count", "sum");
      default:
        throw new IllegalArgumentException("unknown kind " + kind);
    }
  }

  private static void windowedCount(StreamsBuilder builder, JsonNode window, String emit) {
    KGroupedStream<String, String> grouped =
        builder
            .stream("in", Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
    EmitStrategy strategy =
        emit.equals("close") ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate();
    Duration grace = Duration.ofMillis(window.get("grace").asLong());
    KTable<Windowed<String>, Long> counts;
    switch (window.get("type").asText()) {
      case "tumbling":
      case "hopping":
        TimeWindows fixed =
            TimeWindows.ofSizeAndGrace(Duration.ofMillis(window.get("size").asLong()), grace)
                .advanceBy(Duration.ofMillis(window.get("advance").asLong()));
        counts = grouped.windowedBy(fixed).emitStrategy(strategy).count();
        break;
      case "sliding":
        SlidingWindows sliding =
            SlidingWindows.ofTimeDifferenceAndGrace(
                Duration.ofMillis(window.get("diff").asLong()), grace);
        counts = grouped.windowedBy(sliding).emitStrategy(strategy).count();
        break;
      case "session":
        SessionWindows sessions =
            SessionWindows.ofInactivityGapAndGrace(
                Duration.ofMillis(window.get("gap").asLong()), grace);
        counts = grouped.windowedBy(sessions).emitStrategy(strategy).count();
        break;
      default:
        throw new IllegalArgumentException("unknown window " + window);
    }
    counts
        .toStream()
        .map(
            (w, n) ->
                KeyValue.pair(
                    w.key() + "@" + w.window().start() + "@" + w.window().end(),
                    n == null ? "null" : Long.toString(n)))
        .to("out", Produced.with(Serdes.String(), Serdes.String()));
  }

  private static void join(StreamsBuilder builder, String kind) {
    KTable<String, String> table =
        builder.table("table", Consumed.with(Serdes.String(), Serdes.String()));
    KStream<String, String> stream =
        builder.stream("stream", Consumed.with(Serdes.String(), Serdes.String()));
    KStream<String, String> joined =
        kind.equals("inner")
            ? stream.join(table, (v, t) -> v + "|" + t)
            : stream.leftJoin(table, (v, t) -> v + "|" + t);
    joined.to("out", Produced.with(Serdes.String(), Serdes.String()));
  }

  /** An inner stream-stream join of "left" with "right" within [t - before, t + after]. */
  private static void windowedJoin(StreamsBuilder builder, JsonNode windows) {
    JoinWindows joinWindows =
        JoinWindows.ofTimeDifferenceAndGrace(
                Duration.ofMillis(windows.get("before").asLong()),
                Duration.ofMillis(windows.get("grace").asLong()))
            .before(Duration.ofMillis(windows.get("before").asLong()))
            .after(Duration.ofMillis(windows.get("after").asLong()));
    KStream<String, String> right =
        builder.stream("right", Consumed.with(Serdes.String(), Serdes.String()));
    builder.stream("left", Consumed.with(Serdes.String(), Serdes.String()))
        .join(
            right,
            (l, r) -> l + "+" + r,
            joinWindows,
            StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String()))
        .to("out", Produced.with(Serdes.String(), Serdes.String()));
  }

  /** Rows "category:n"; per category, the count of rows and the sum of their n. */
  private static void tableAggregation(StreamsBuilder builder) {
    KGroupedTable<String, Long> grouped =
        builder
            .table("table", Consumed.with(Serdes.String(), Serdes.String()))
            .groupBy(
                (id, row) -> {
                  String[] parts = row.split(":", 2);
                  return KeyValue.pair(parts[0], Long.parseLong(parts[1]));
                },
                Grouped.with(Serdes.String(), Serdes.Long()));
    grouped
        .count()
        .toStream()
        .mapValues(n -> n == null ? "null" : Long.toString(n))
        .to("count", Produced.with(Serdes.String(), Serdes.String()));
    grouped
        .reduce((sum, n) -> sum + n, (sum, n) -> sum - n)
        .toStream()
        .mapValues(n -> n == null ? "null" : Long.toString(n))
        .to("sum", Produced.with(Serdes.String(), Serdes.String()));
  }
}
