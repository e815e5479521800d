package io.recall.worker.config;

import io.recall.schemas.RecallTopics;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The stream worker's configuration ({@code recall.*}), validated at start-up.
 *
 * @param workerId names this worker in reports; defaults to the host name
 */
@Validated
@ConfigurationProperties("recall")
public record WorkerProperties(
        String workerId,
        @Valid @DefaultValue RecallTopics topics,
        @Valid @DefaultValue Capture capture,
        @Valid @DefaultValue Storage storage,
        @Valid @DefaultValue Secrets secrets,
        @Valid @DefaultValue Tools tools) {

    /**
     * @param enabled run the capture role in this process
     * @param maxChunkBytes upper bound of one change record's payload (Kafka's default request limit is ~1 MiB)
     * @param statusInterval how often each source's status is reported on the catalog topic
     * @param heartbeatInterval how often an idle source confirms the server's position and writes a heartbeat
     * @param sequenceInterval how often sequence values are read
     * @param slotRetry wait before retrying a slot held by another connection, or a failed session
     * @param slotCreationTimeout how long creating a slot may wait for running transactions
     * @param maxConcurrentBaseBackups how many pg_dump processes this worker runs at once
     * @param dumpLockTimeout how long pg_dump waits for a table lock; a TRUNCATE or DDL queued on a captured table
     *     while a backup starts can stall it (see TableLockGuard), and the backup is then retried
     * @param ddlCapture {@code auto}: install Recall's DDL event triggers where the role is a superuser; {@code off}:
     *     never install them; where they cannot be installed the fallback capture derives schema changes from the
     *     stream and the catalog (see FallbackSchema)
     * @param catalogPollInterval how often the fallback capture looks for new and dropped tables
     * @param dumpCompression pg_dump's {@code --compress} for base backups: a gzip level ({@code 0}–{@code 9}; 1 is
     *     the fastest that compresses, and keeps the exported snapshot and the slot's backlog short) or, with pg_dump
     *     16 or newer, a method with an optional level such as {@code lz4} or {@code zstd:3}
     */
    public record Capture(
            @DefaultValue("true") boolean enabled,
            @Min(4096) @DefaultValue("262144") int maxChunkBytes,
            @NotNull @DefaultValue("10s") Duration statusInterval,
            @NotNull @DefaultValue("10s") Duration heartbeatInterval,
            @NotNull @DefaultValue("30s") Duration sequenceInterval,
            @NotNull @DefaultValue("5s") Duration slotRetry,
            @NotNull @DefaultValue("5m") Duration slotCreationTimeout,
            @Min(1) @DefaultValue("4") int maxConcurrentBaseBackups,
            @NotNull @DefaultValue("30s") Duration dumpLockTimeout,
            @NotNull @DefaultValue("auto") DdlCaptureSetting ddlCapture,
            @NotNull @DefaultValue("30s") Duration catalogPollInterval,

            @NotNull
            @Pattern(
                    regexp = "[0-9]|(none|gzip|lz4|zstd)(:[0-9]{1,2})?",
                    message = "must be a gzip level 0-9, or none, gzip, lz4 or zstd with an optional"
                            + " :level (methods need pg_dump 16 or newer)")
            @DefaultValue("1")
            String dumpCompression) {}

    /** Whether capture installs Recall's DDL event triggers on sources that allow it. */
    public enum DdlCaptureSetting {
        AUTO,
        OFF
    }

    /** Where base backups and segments go: {@code type} local (under {@code localRoot}) or s3. */
    public record Storage(
            @NotBlank @DefaultValue("local") String type,
            @DefaultValue("data/storage") Path localRoot,
            String bucket,
            @DefaultValue("") String prefix,
            URI endpoint,
            @DefaultValue("us-east-1") String region,
            @DefaultValue("false") boolean pathStyle,
            String accessKey,
            String secretKey,
            @DefaultValue("NONE") String serverSideEncryption,
            String kmsKeyId,
            @Min(5242880) @DefaultValue("16777216") int partSizeBytes) {}

    /** The keyring shared with the coordinator: source passwords travel encrypted with it. */
    public record Secrets(@NotNull @DefaultValue Map<String, String> keys, String activeKeyId) {}

    /** @param binDir directory holding pg_dump; empty = PATH, then the newest /usr/lib/postgresql/N/bin */
    public record Tools(Path binDir) {}
}
