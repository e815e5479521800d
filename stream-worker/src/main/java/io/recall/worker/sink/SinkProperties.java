package io.recall.worker.sink;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The sink role's configuration ({@code recall.sink.*}), validated at start-up.
 *
 * @param enabled run the sink role in this process
 * @param maxSegmentBytes a segment is sealed at the first transaction boundary once its records take this much
 *     (uncompressed Avro binary)
 * @param maxSegmentAge a segment is sealed at the first transaction boundary once it has been open this long, which
 *     bounds how far the archived watermark trails the durable one; an idle source's heartbeats are sealed this often
 * @param pollTimeout longest wait for new records, and so the granularity of age checks and seal requests
 * @param zstdLevel zstd compression level of segments, 1 to 22
 * @param blockBytes uncompressed size of a compression block: larger compresses better and costs that much memory
 *     per open segment
 * @param spoolDir where open segments are spooled before upload; each sink run uses a fresh subdirectory, deleted on
 *     shutdown; empty = the system temporary directory
 * @param maxBufferedBytes sealed segments that storage has not taken yet (it is down) may fill this much local disk;
 *     beyond it the sink stops consuming until storage recovers (Kafka keeps the records)
 * @param retryBackoff first wait before retrying a failed upload or catalog publish; doubles up to
 *     {@code maxRetryBackoff}
 * @param maxRetryBackoff longest wait between retries
 */
@Validated
@ConfigurationProperties("recall.sink")
public record SinkProperties(
        @DefaultValue("true") boolean enabled,
        @NotNull @DefaultValue("64MB") DataSize maxSegmentBytes,
        @NotNull @DefaultValue("60s") Duration maxSegmentAge,
        @NotNull @DefaultValue("500ms") Duration pollTimeout,
        @Min(1) @Max(22) @DefaultValue("3") int zstdLevel,
        @NotNull @DefaultValue("1MB") DataSize blockBytes,
        Path spoolDir,
        @NotNull @DefaultValue("512MB") DataSize maxBufferedBytes,
        @NotNull @DefaultValue("1s") Duration retryBackoff,
        @NotNull @DefaultValue("60s") Duration maxRetryBackoff) {

    public SinkProperties {
        if (maxSegmentBytes != null && maxSegmentBytes.toBytes() < 1) {
            throw new IllegalArgumentException("recall.sink.max-segment-bytes must be positive");
        }
        positive("max-segment-age", maxSegmentAge);
        positive("poll-timeout", pollTimeout);
        positive("retry-backoff", retryBackoff);
        positive("max-retry-backoff", maxRetryBackoff);
        if (blockBytes != null && (blockBytes.toBytes() < 32 * 1024 || blockBytes.toBytes() > 64 * 1024 * 1024)) {
            throw new IllegalArgumentException(
                    "recall.sink.block-bytes must be between 32KB and 64MB, was " + blockBytes);
        }
    }

    private static void positive(String name, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw new IllegalArgumentException("recall.sink." + name + " must be positive, was " + value);
        }
    }

    /** The spool directory to create this run's subdirectory in. */
    Path spoolRoot() {
        return spoolDir != null ? spoolDir : Path.of(System.getProperty("java.io.tmpdir"), "recall-sink");
    }
}
