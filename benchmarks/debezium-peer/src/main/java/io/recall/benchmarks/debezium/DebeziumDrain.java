package io.recall.benchmarks.debezium;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The benchmark suite's Debezium peer: Debezium's embedded engine with its PostgreSQL connector (pgoutput) streams an
 * existing slot from its confirmed position ({@code snapshot.mode=no_data}) and hands every change record, as a Connect
 * {@link SourceRecord} (no conversion to JSON or Avro: the cheapest consumer the engine allows), to a handler that
 * counts and discards it. Exits once {@code expected} change records arrived, printing
 * {@code done <epoch millis of the last record> <records>} on standard output; {@code first <epoch millis>} marks
 * the first record. The line ends with this JVM's peak resident set in KiB ({@code VmHWM}), read just before it
 * exits.
 *
 * <p>Arguments: host port database user password slot publication expected timeoutSeconds.
 */
public final class DebeziumDrain {

    private DebeziumDrain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("usage: DebeziumDrain host port database user password slot publication expected"
                    + " timeoutSeconds");
            System.exit(2);
        }
        long expected = Long.parseLong(args[7]);
        long timeoutSeconds = Long.parseLong(args[8]);
        Properties props = new Properties();
        props.setProperty("name", "recall-benchmark-peer");
        props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        props.setProperty("offset.flush.interval.ms", "10000");
        props.setProperty("database.hostname", args[0]);
        props.setProperty("database.port", args[1]);
        props.setProperty("database.dbname", args[2]);
        props.setProperty("database.user", args[3]);
        props.setProperty("database.password", args[4]);
        props.setProperty("database.sslmode", "disable");
        props.setProperty("topic.prefix", "bench");
        props.setProperty("plugin.name", "pgoutput");
        props.setProperty("slot.name", args[5]);
        props.setProperty("publication.name", args[6]);
        props.setProperty("publication.autocreate.mode", "disabled");
        props.setProperty("snapshot.mode", "no_data");

        AtomicLong records = new AtomicLong();
        AtomicLong last = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> handler = (batch, committer) -> {
            for (RecordChangeEvent<SourceRecord> r : batch) {
                SourceRecord record = r.record();
                // data change records only: no heartbeats or schema-change records are configured, but be exact
                if (record.topic().startsWith("bench.") && record.value() != null) {
                    if (records.incrementAndGet() == 1) {
                        System.out.println("first " + System.currentTimeMillis());
                    }
                }
                committer.markProcessed(r);
            }
            committer.markBatchFinished();
            if (records.get() >= expected && done.getCount() > 0) {
                last.set(System.currentTimeMillis());
                done.countDown();
            }
        };
        ExecutorService executor = Executors.newSingleThreadExecutor();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(
                        ChangeEventFormat.of(Connect.class))
                .using(props)
                .notifying(handler)
                .using((success, message, error) -> {
                    if (!success) {
                        System.out.println("failed " + message + (error == null ? "" : ": " + error));
                        done.countDown();
                    }
                })
                .build();
        executor.execute(engine);
        boolean finished = done.await(timeoutSeconds, TimeUnit.SECONDS);
        System.out.println((finished && last.get() > 0 ? "done " + last.get() : "timeout " + System.currentTimeMillis())
                + " " + records.get() + " " + peakRssKiB());
        System.out.flush();
        // the figure is taken; closing the engine cleanly is not part of it
        Runtime.getRuntime().halt(0);
    }

    private static long peakRssKiB() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

}
