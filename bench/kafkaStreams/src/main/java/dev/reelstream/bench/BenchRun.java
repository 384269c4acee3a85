package dev.reelstream.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * How StatelessBench and StatefulBench run their topology: the shared Streams properties, then
 * start, wait until the {@link StatelessBench.Progress} has seen every input record, and close
 * (which flushes caches and the producer, commits and leaves the group). Exits the JVM with 2
 * when the stream thread fails and with 3 on timeout.
 */
final class BenchRun {
  /** Wall clock when the application was started. */
  final long startMs;
  /** System.nanoTime() once close() returned. */
  final long closedNs;

  private BenchRun(long startMs, long closedNs) {
    this.startMs = startMs;
    this.closedNs = closedNs;
  }

  /**
   * The properties both benches set: application id, bootstrap, one stream thread, state dir,
   * from the earliest offset, --processing-guarantee (default at_least_once); then every
   * --config key=value (commit.interval.ms and the client settings the harness shares with the
   * other engines, written once in bench/support/engine.ts).
   */
  static Properties properties(StatelessBench.Args args) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args.required("application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.required("bootstrap"));
    props.put(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        args.get("processing-guarantee", StreamsConfig.AT_LEAST_ONCE));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("state-dir", "/tmp/kafka-streams-bench"));
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    for (Map.Entry<String, String> entry : args.configs.entrySet()) {
      props.put(entry.getKey(), entry.getValue());
    }
    return props;
  }

  static BenchRun untilDone(
      Topology topology, Properties props, StatelessBench.Progress progress, long timeoutMs)
      throws InterruptedException {
    KafkaStreams streams = new KafkaStreams(topology, props);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setUncaughtExceptionHandler(
        error -> {
          failure.set(error);
          progress.done.countDown();
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    long startMs = System.currentTimeMillis();
    streams.start();
    boolean finished = progress.done.await(timeoutMs, TimeUnit.MILLISECONDS);
    // Leave the group on close (Kafka Streams stays in it by default until the session times
    // out), so the harness can delete the run's consumer group right after the JVM exits.
    streams.close(
        CloseOptions.timeout(Duration.ofSeconds(60))
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    long closedNs = System.nanoTime();

    if (failure.get() != null) {
      System.err.println("kafka-streams bench: stream thread failed: " + failure.get());
      failure.get().printStackTrace();
      System.exit(2);
    }
    if (!finished) {
      System.err.printf(
          "kafka-streams bench: timed out after %d s with %d of %d records%n",
          timeoutMs / 1000, progress.seen, progress.target);
      System.exit(3);
    }
    return new BenchRun(startMs, closedNs);
  }

  /**
   * The JSON fields (without braces) both benches report after their own: the throughput window,
   * start-up, CPU, peak RSS and GC figures.
   */
  String figures(StatelessBench.Progress progress) {
    long jvmStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
    return String.format(
        Locale.ROOT,
        "\"firstToLastS\":%.6f,\"firstToClosedS\":%.6f,\"jvmStartToFirstS\":%.6f,"
            + "\"startToFirstS\":%.6f,\"cpuSecondsFirstToLast\":%.6f,\"cpuSecondsTotal\":%.6f,"
            + "\"peakRssKb\":%d,\"gcCount\":%d,\"gcTimeMs\":%d",
        (progress.lastNs - progress.firstNs) / 1e9,
        (closedNs - progress.firstNs) / 1e9,
        (progress.firstWallMs - jvmStartMs) / 1e3,
        (progress.firstWallMs - startMs) / 1e3,
        progress.cpuAtLastS - progress.cpuAtFirstS,
        StatelessBench.processCpuSeconds(),
        StatelessBench.peakRssKb(),
        StatelessBench.gcCount(),
        StatelessBench.gcTimeMs());
  }

  /** Prints the one result line the harness reads and exits 0. */
  static void report(String json) {
    System.out.println("BENCH_RESULT " + json);
    System.out.flush();
    // close() may leave non-daemon threads behind after a timeout: exit explicitly.
    System.exit(0);
  }
}
