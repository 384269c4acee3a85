package dev.reelstream.bench;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Kafka Streams side of bench/stateless: source (Confluent wire-format Avro) -> mapValues (derive
 * watchRatio, uppercase category) -> filter (watchRatio >= 0.1) -> selectKey (videoId) -> to
 * (Confluent wire-format Avro, output schema id). One stream thread, at_least_once.
 *
 * <p>It counts input records as they enter the topology and, once it has seen --records of them,
 * closes the application (which flushes the producer and commits) and prints one line
 * {@code BENCH_RESULT {...json...}} for bench/stateless/run.ts.
 */
public final class StatelessBench {
  /** Keep threshold of the filter; bench/stateless/topology.ts applies the same one. */
  static final double MIN_WATCH_RATIO = 0.1;

  private StatelessBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Schema inputSchema = new Schema.Parser().parse(new File(args.required("input-schema")));
    Schema outputSchema = new Schema.Parser().parse(new File(args.required("output-schema")));
    int inputSchemaId = Integer.parseInt(args.required("input-schema-id"));
    int outputSchemaId = Integer.parseInt(args.required("output-schema-id"));
    long records = Long.parseLong(args.required("records"));
    long timeoutMs = Long.parseLong(args.get("timeout-s", "600")) * 1000;

    Progress progress = new Progress(records);
    Topology topology =
        buildTopology(
            args.required("input-topic"),
            args.required("output-topic"),
            new ConfluentAvroSerde(inputSchema, inputSchemaId),
            new ConfluentAvroSerde(outputSchema, outputSchemaId),
            progress);

    // The client settings shared with the reelstream side (linger.ms, batch.size, fetch sizes,
    // max.poll.records, ...) come from bench/stateless/kafkaStreamsSide.ts as --config key=value.
    BenchRun run = BenchRun.untilDone(topology, BenchRun.properties(args), progress, timeoutMs);
    BenchRun.report(
        String.format(
            Locale.ROOT,
            "{\"records\":%d,\"kept\":%d,%s}",
            progress.seen,
            progress.kept,
            run.figures(progress)));
  }

  static Topology buildTopology(
      String inputTopic,
      String outputTopic,
      ConfluentAvroSerde inputSerde,
      ConfluentAvroSerde outputSerde,
      Progress progress) {
    Schema outputSchema = outputSerde.schema;
    int copied = inputSerde.schema.getFields().size();
    int categoryPos = outputSchema.getField("category").pos();
    int watchRatioPos = outputSchema.getField("watchRatio").pos();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(inputTopic, Consumed.with(Serdes.String(), (Serde<GenericRecord>) inputSerde))
        .peek((key, value) -> progress.seen())
        .mapValues(
            value -> {
              // The output schema is the input's fields, in order, plus watchRatio.
              GenericData.Record out = new GenericData.Record(outputSchema);
              for (int i = 0; i < copied; i++) {
                out.put(i, value.get(i));
              }
              out.put(categoryPos, value.get(categoryPos).toString().toUpperCase(Locale.ROOT));
              double watched = ((Long) value.get("watchedMs")).doubleValue();
              double duration = ((Long) value.get("durationMs")).doubleValue();
              out.put(watchRatioPos, watched / duration);
              return (GenericRecord) out;
            })
        .filter((key, value) -> (Double) value.get(watchRatioPos) >= MIN_WATCH_RATIO)
        .selectKey((key, value) -> value.get("videoId").toString())
        .peek((key, value) -> progress.kept++)
        .to(outputTopic, Produced.with(Serdes.String(), (Serde<GenericRecord>) outputSerde));
    return builder.build();
  }

  /** Counts input records on the (single) stream thread; releases main after the last one. */
  static final class Progress {
    final long target;
    final CountDownLatch done = new CountDownLatch(1);
    volatile long seen;
    volatile long kept;
    volatile long firstNs;
    volatile long firstWallMs;
    volatile long lastNs;
    volatile double cpuAtFirstS;
    volatile double cpuAtLastS;

    Progress(long target) {
      this.target = target;
    }

    void seen() {
      long n = seen + 1;
      seen = n;
      if (n == 1) {
        firstNs = System.nanoTime();
        firstWallMs = System.currentTimeMillis();
        cpuAtFirstS = processCpuSeconds();
      }
      if (n == target) {
        lastNs = System.nanoTime();
        cpuAtLastS = processCpuSeconds();
        done.countDown();
      }
    }
  }

  /** Confluent wire format: magic byte 0, big-endian schema id, Avro binary body. */
  static final class ConfluentAvroSerde
      implements Serde<GenericRecord>, Serializer<GenericRecord>, Deserializer<GenericRecord> {
    final Schema schema;
    private final int schemaId;
    private final GenericDatumReader<GenericRecord> reader;
    private final GenericDatumWriter<GenericRecord> writer;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private BinaryDecoder decoder;
    private BinaryEncoder encoder;

    ConfluentAvroSerde(Schema schema, int schemaId) {
      this.schema = schema;
      this.schemaId = schemaId;
      this.reader = new GenericDatumReader<>(schema);
      this.writer = new GenericDatumWriter<>(schema);
    }

    @Override
    public GenericRecord deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      ByteBuffer header = ByteBuffer.wrap(data, 0, 5);
      byte magic = header.get();
      int id = header.getInt();
      if (magic != 0 || id != schemaId) {
        throw new IllegalStateException(
            "unexpected value header: magic " + magic + ", schema id " + id + " on " + topic);
      }
      decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, decoder);
      try {
        return reader.read(null, decoder);
      } catch (IOException e) {
        throw new IllegalStateException("cannot decode Avro value on " + topic, e);
      }
    }

    @Override
    public byte[] serialize(String topic, GenericRecord value) {
      if (value == null) {
        return null;
      }
      buffer.reset();
      buffer.write(0);
      buffer.write(schemaId >>> 24);
      buffer.write(schemaId >>> 16);
      buffer.write(schemaId >>> 8);
      buffer.write(schemaId);
      encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
      try {
        writer.write(value, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new IllegalStateException("cannot encode Avro value for " + topic, e);
      }
      return buffer.toByteArray();
    }

    @Override
    public Serializer<GenericRecord> serializer() {
      return this;
    }

    @Override
    public Deserializer<GenericRecord> deserializer() {
      return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
  }

  static double processCpuSeconds() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime() / 1e9;
    }
    return -1;
  }

  /** VmHWM of this process (Linux), in KiB; -1 elsewhere. */
  static long peakRssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  static long gcCount() {
    long count = 0;
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
    }
    return count;
  }

  static long gcTimeMs() {
    long time = 0;
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      time += Math.max(0, gc.getCollectionTime());
    }
    return time;
  }

  /** --name value flags; --config key=value may repeat and goes into the Streams properties. */
  static final class Args {
    final Map<String, String> values = new HashMap<>();
    final Map<String, String> configs = new HashMap<>();

    static Args parse(String[] argv) {
      Args args = new Args();
      List<String> list = List.of(argv);
      for (int i = 0; i < list.size(); i += 2) {
        String flag = list.get(i);
        if (!flag.startsWith("--") || i + 1 >= list.size()) {
          throw new IllegalArgumentException("expected --flag value pairs, got " + list);
        }
        String value = list.get(i + 1);
        if (flag.equals("--config")) {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--config wants key=value, got " + value);
          }
          args.configs.put(value.substring(0, eq), value.substring(eq + 1));
        } else {
          args.values.put(flag.substring(2), value);
        }
      }
      return args;
    }

    String required(String name) {
      String value = values.get(name);
      if (value == null) {
        throw new IllegalArgumentException("missing --" + name);
      }
      return value;
    }

    String get(String name, String fallback) {
      return values.getOrDefault(name, fallback);
    }
  }
}
