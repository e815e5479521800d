package io.recall.coordinator.config;

import io.recall.common.storage.StorageProperties;
import io.recall.common.storage.StorageSettings;
import io.recall.schemas.RecallTopics;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The coordinator's configuration ({@code recall.*}). Validated at start-up, so a bad value fails fast with its name.
 *
 * @param security API authentication
 * @param secrets the keyring that encrypts source passwords at rest and in Kafka
 * @param tools where the PostgreSQL client tools ({@code pg_dump}, {@code pg_restore}) live
 * @param probe capability-probe settings
 * @param topics Kafka topic names and the shape of the topics Recall creates (the stream worker has the same
 *     properties, so either side can create them)
 * @param desiredState publishing of each source's desired state to {@code recall.sources}
 * @param storage where the workers store base backups and segments: the coordinator reads it to rebuild the catalog,
 *     and deletes from it for retention and purges (the same {@code recall.storage.*} settings as the stream worker's)
 * @param schedules per-source base-backup schedules ({@code baseBackupSchedule})
 * @param retention how often each source's retention policy is applied
 * @param restores restore jobs written to {@code recall.restore-jobs}
 */
@Validated
@ConfigurationProperties("recall")
public record RecallProperties(
        @Valid @DefaultValue Security security,
        @Valid @DefaultValue Secrets secrets,
        @Valid @DefaultValue Tools tools,
        @Valid @DefaultValue Probe probe,
        @Valid @DefaultValue RecallTopics topics,
        @Valid @DefaultValue DesiredState desiredState,
        @Valid @DefaultValue Storage storage,
        @Valid @DefaultValue Schedules schedules,
        @Valid @DefaultValue Retention retention,
        @Valid @DefaultValue Restores restores) {

    /**
     * @param authEnabled bearer tokens required on every route but health and the API docs; turn off only for local
     *     single-user use
     * @param bootstrapAdminToken optional: a token (at least 32 characters) installed with the admin role at start,
     *     so a fresh deployment can create further tokens; only its SHA-256 is stored
     */
    public record Security(@DefaultValue("true") boolean authEnabled, String bootstrapAdminToken) {}

    /**
     * @param keys key id to base64-encoded 32-byte AES key; keep old keys here after rotating
     * @param activeKeyId the key new secrets are sealed with
     */
    public record Secrets(@NotNull @DefaultValue Map<String, String> keys, String activeKeyId) {}

    /** @param binDir directory holding pg_dump and pg_restore; empty = look them up on PATH */
    public record Tools(Path binDir) {}

    /**
     * @param connectTimeout how long to wait for a source to accept a connection
     * @param statementTimeout cap on each probe query
     */
    public record Probe(
            @NotNull @DefaultValue("10s") Duration connectTimeout,
            @NotNull @DefaultValue("30s") Duration statementTimeout) {}

    /**
     * @param publishTimeout how long a request waits for Kafka to acknowledge a desired state before answering 503
     *     (also the producer's delivery timeout, so a record given up on is not sent later behind a newer one)
     * @param reconcileInterval how often states Kafka has not acknowledged yet are published again
     * @param slotReleaseTimeout how long {@code DELETE} waits, after writing the tombstone, for the capture worker to
     *     release the replication slot before answering 409
     */
    public record DesiredState(
            @NotNull @DefaultValue("10s") Duration publishTimeout,
            @NotNull @DefaultValue("30s") Duration reconcileInterval,
            @NotNull @DefaultValue("30s") Duration slotReleaseTimeout) {}

    /**
     * The blob store the workers write to; names and defaults as the stream worker's {@code recall.storage.*}.
     *
     * @param type {@code local} or {@code s3}
     * @param localRoot {@code local}: the directory holding the blobs (the worker's)
     * @param bucket {@code s3}: the bucket
     * @param prefix {@code s3}: deployment-wide key prefix in front of every key (the stream worker applies it to S3
     *     only, so the coordinator does too)
     * @param endpoint {@code s3}: endpoint of an S3-compatible store (MinIO, R2, ...); empty for AWS
     * @param region {@code s3}: signing region
     * @param pathStyle {@code s3}: path-style requests, which most S3-compatible stores need
     * @param accessKey {@code s3}: static credentials; empty uses the AWS default credentials chain
     * @param secretKey {@code s3}: set together with {@code accessKey}
     * @param serverSideEncryption {@code s3}: {@code NONE}, {@code AES256} (SSE-S3) or {@code KMS} (SSE-KMS)
     * @param kmsKeyId {@code s3}: the KMS key for {@code KMS}; empty uses the account's default key
     * @param partSizeBytes {@code s3}: multipart part size (the coordinator writes only small objects)
     */
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
            @NotBlank @DefaultValue("NONE") String serverSideEncryption,
            String kmsKeyId,
            @Min(5242880) @DefaultValue("16777216") int partSizeBytes) {

        /**
         * The settings {@link io.recall.common.storage.BlobStores#open} takes.
         *
         * @throws IllegalStateException naming the bad {@code recall.storage.*} value
         */
        public StorageSettings toSettings() {
            // the one mapping every role shares (the workers bind StorageProperties directly)
            return new StorageProperties(
                            type,
                            localRoot,
                            bucket,
                            prefix,
                            endpoint,
                            region,
                            pathStyle,
                            accessKey,
                            secretKey,
                            serverSideEncryption,
                            kmsKeyId,
                            partSizeBytes)
                    .toSettings();
        }
    }

    /**
     * @param checkInterval how often the coordinator looks for schedules whose next fire time has passed: a backup is
     *     requested at most this long after its fire time
     * @param timeZone the zone cron expressions are read in ({@code "0 0 3 * * *"} is 03:00 there)
     */
    public record Schedules(
            @NotNull @DefaultValue("30s") Duration checkInterval,
            @NotNull @DefaultValue("UTC") ZoneId timeZone) {}

    /** @param interval how often retention policies are applied (deleting from storage and the catalog) */
    public record Retention(@NotNull @DefaultValue("15m") Duration interval) {}

    /**
     * @param publishTimeout how long {@code POST /api/v1/restores} and {@code .../cancel} wait for Kafka to acknowledge
     *     the command before answering 503 (also the producer's delivery timeout, so a command given up on is not
     *     delivered later)
     */
    public record Restores(@NotNull @DefaultValue("10s") Duration publishTimeout) {}

    /** Names a problem with the secrets configuration, or returns null when it is usable. */
    public static String secretsProblem(Secrets s) {
        if (s.keys().isEmpty()) {
            return "recall.secrets.keys is empty: configure at least one AES-256 key, e.g."
                    + " recall.secrets.keys.k1=$(openssl rand -base64 32) and recall.secrets.active-key-id=k1";
        }
        if (s.activeKeyId() == null || s.activeKeyId().isBlank()) {
            return "recall.secrets.active-key-id is not set: name one of "
                    + s.keys().keySet();
        }
        return null;
    }
}
