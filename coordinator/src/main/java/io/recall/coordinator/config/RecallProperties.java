package io.recall.coordinator.config;

import io.recall.schemas.RecallTopics;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
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
 */
@Validated
@ConfigurationProperties("recall")
public record RecallProperties(
        @Valid @DefaultValue Security security,
        @Valid @DefaultValue Secrets secrets,
        @Valid @DefaultValue Tools tools,
        @Valid @DefaultValue Probe probe,
        @Valid @DefaultValue RecallTopics topics,
        @Valid @DefaultValue DesiredState desiredState) {

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
