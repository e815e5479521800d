package io.recall.restore.config;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.StorageProperties;
import io.recall.restore.replay.ReplaySettings;
import io.recall.schemas.RecallTopics;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The restore worker's configuration ({@code recall.*}), validated at start-up. {@code topics}, {@code storage},
 * {@code secrets}, {@code tools} and {@code worker-id} have the stream worker's names and defaults, so one
 * configuration (and the same {@code RECALL_*} environment variables) serves both.
 *
 * @param workerId names this worker in restore events; defaults to the host name
 * @param secrets the coordinator's keyring: target connection strings arrive encrypted with it ({@code v1:...}); a
 *     job written straight to the topic may carry a clear connection string, which needs no keyring
 */
@Validated
@ConfigurationProperties("recall")
public record RestoreWorkerProperties(
        String workerId,
        @Valid @DefaultValue RecallTopics topics,
        @Valid @DefaultValue StorageProperties storage,
        @Valid @DefaultValue Secrets secrets,
        @Valid @DefaultValue Tools tools,
        @Valid @DefaultValue Restore restore) {

    /** The keyring shared with the coordinator. */
    public record Secrets(@NotNull @DefaultValue Map<String, String> keys, String activeKeyId) {

        /**
         * The keyring, or null when none is configured (then only clear target connection strings are accepted).
         *
         * @throws IllegalStateException if keys are set without an active key id
         */
        public SecretCipher cipherOrNull() {
            if (keys.isEmpty()) {
                return null;
            }
            if (activeKeyId == null || activeKeyId.isBlank()) {
                throw new IllegalStateException(
                        "recall.secrets.active-key-id is not set: name one of " + keys.keySet());
            }
            return new SecretCipher(keys, activeKeyId);
        }
    }

    /** @param binDir directory holding pg_restore; empty = PATH, then the newest /usr/lib/postgresql/N/bin */
    public record Tools(Path binDir) {}

    /**
     * {@code recall.restore.*}.
     *
     * @param workDir where base backups and segments are downloaded (room for the largest dump plus a few segments
     *     per concurrent job)
     * @param concurrency jobs this process runs at once; each has its own consumer in the group
     * @param pgRestoreJobs parallel {@code pg_restore} jobs per restore
     * @param sealWait how long a job whose target lies past the stored end of the stream waits for the sinks to store
     *     segments that reach it (it asks them to seal their open segments) before it fails
     * @param latestSealWait for a {@code latest} job that names no LSN: how long it waits for a segment sealed on its
     *     request before it restores to what is stored
     * @param lockRetry how often a job retries the target's advisory lock while another worker holds it
     * @param progressInterval how often a replaying job reports progress
     * @param prefetchSegments segments downloaded ahead of the one being replayed
     * @param replay how replay batches its writes
     */
    public record Restore(
            @NotNull @DefaultValue("data/restore-work") Path workDir,
            @Min(1) @DefaultValue("1") int concurrency,
            @Min(1) @DefaultValue("2") int pgRestoreJobs,
            @NotNull @DefaultValue("2m") Duration sealWait,
            @NotNull @DefaultValue("10s") Duration latestSealWait,
            @NotNull @DefaultValue("5s") Duration lockRetry,
            @NotNull @DefaultValue("2s") Duration progressInterval,
            @Min(1) @DefaultValue("2") int prefetchSegments,
            @Valid @DefaultValue Replay replay) {}

    /**
     * @param transactionsPerCommit source transactions applied per target transaction
     * @param changesPerCommit row changes per target transaction
     * @param maxPendingBytes collapsed rows held in memory before they are written (memory is about twice this)
     */
    public record Replay(
            @Min(1) @DefaultValue("10000") int transactionsPerCommit,
            @Min(1) @DefaultValue("200000") int changesPerCommit,
            @NotNull @DefaultValue("128MB") DataSize maxPendingBytes) {

        public ReplaySettings settings() {
            return new ReplaySettings(transactionsPerCommit, changesPerCommit, maxPendingBytes.toBytes());
        }
    }

    /** {@link #workerId()}, or the host name when it is not set. */
    public String workerName() {
        if (workerId != null && !workerId.isBlank()) {
            return workerId;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "restore-worker-" + UUID.randomUUID();
        }
    }
}
