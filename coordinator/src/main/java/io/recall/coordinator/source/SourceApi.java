package io.recall.coordinator.source;

import io.recall.coordinator.source.probe.ProbeReport;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Request and response bodies of the sources API. */
public final class SourceApi {

    private SourceApi() {}

    /**
     * {@code POST /api/v1/sources}.
     *
     * @param tables {@code "schema.table"} or {@code "schema.*"}; absent = every user table
     * @param excludeTables entries taken out of the selection (e.g. a table that has no replica identity)
     * @param baseBackupSchedule a Spring cron expression (six fields, seconds first), e.g. {@code "0 0 3 * * *"}
     * @param retention how long backups are kept, e.g. {@code {"days": 14}}
     */
    public record RegisterSource(
            String name,
            String connectionString,
            List<String> tables,
            List<String> excludeTables,
            String baseBackupSchedule,
            Map<String, Object> retention) {}

    /**
     * A source as the API shows it: the connection string with its password masked, never in clear.
     *
     * @param epoch version of the desired state; grows with every change (pause, resume, tables, base backup request)
     * @param publishedEpoch the epoch Kafka has acknowledged on {@code recall.sources}; behind {@code epoch} while
     *     Kafka is unavailable (the coordinator keeps publishing)
     * @param archiveError set while storage refuses the source's sealed segments (the sink keeps them, then stops
     *     consuming, and Kafka holds the changes); cleared once a segment is stored
     * @param archiveErrorSince when those failures began
     * @param deletionRequestedAt set when a {@code DELETE} began and has not finished (e.g. the slot was still in use)
     * @param ddlCaptureMode how the probe expects schema changes to be captured ({@code EVENT_TRIGGER} for a superuser,
     *     else {@code FALLBACK})
     * @param ddlCapture how the capture worker reported it captures them; absent until a worker has reported
     */
    public record SourceView(
            String id,
            String name,
            String connectionString,
            String status,
            String statusDetail,
            boolean paused,
            long epoch,
            Long publishedEpoch,
            String baseBackupRequestId,
            OffsetDateTime deletionRequestedAt,
            List<String> tables,
            List<String> tablePatterns,
            List<String> excludeTables,
            String slotName,
            String publicationName,
            String baseBackupSchedule,
            Map<String, Object> retention,
            String ddlCaptureMode,
            DdlCapture ddlCapture,
            Integer serverVersionNum,
            String durableLsn,
            OffsetDateTime durableCommitTime,
            String archivedLsn,
            OffsetDateTime archivedTime,
            Long slotLagBytes,
            String lastError,
            String archiveError,
            OffsetDateTime archiveErrorSince,
            OffsetDateTime createdAt,
            OffsetDateTime updatedAt,
            ProbeReport probe) {

        static SourceView of(Source s, ProbeReport probe) {
            return new SourceView(
                    s.id().toString(),
                    s.name(),
                    s.connection()
                            .withPassword(s.passwordCiphertext() == null ? null : "x")
                            .masked(),
                    s.status().name(),
                    s.statusDetail(),
                    s.paused(),
                    s.epoch(),
                    s.publishedEpoch(),
                    s.baseBackupRequestId() == null
                            ? null
                            : s.baseBackupRequestId().toString(),
                    s.deletionRequestedAt(),
                    s.tables().stream().map(TableName::toString).toList(),
                    s.selection().includeText(),
                    s.selection().excludeText(),
                    s.slotName(),
                    s.publicationName(),
                    s.baseBackupSchedule(),
                    s.retention(),
                    s.ddlCaptureMode() == null ? null : s.ddlCaptureMode().name(),
                    s.ddlCapture(),
                    s.serverVersionNum(),
                    s.durableLsn() == null ? null : s.durableLsn().toString(),
                    s.durableCommitTime(),
                    s.archivedLsn() == null ? null : s.archivedLsn().toString(),
                    s.archivedTime(),
                    s.slotLagBytes(),
                    s.lastError(),
                    s.archiveError(),
                    s.archiveErrorSince(),
                    s.createdAt(),
                    s.updatedAt(),
                    probe);
        }
    }

    /**
     * The answer to {@code POST .../pause} and {@code .../resume}.
     *
     * @param slotKept the replication slot stays on the source
     * @param walRetained the source keeps WAL for the slot while capture is paused
     * @param message what this means for the source, in words
     */
    public record CaptureControl(
            String id,
            boolean paused,
            long epoch,
            String slotName,
            boolean slotKept,
            boolean walRetained,
            String message) {}

    /** The answer to {@code POST .../base-backups}: the request, which a capture worker takes up. */
    public record BaseBackupRequested(String requestId, String sourceId, String status, long epoch, String message) {}

    /**
     * The answer to {@code DELETE /api/v1/sources/{id}}: what was removed on the source, and in storage.
     *
     * @param objectsDeleted with {@code ?purge=true}, how many stored objects (backup files, segments, markers) were
     *     deleted; absent without it (everything stored is kept)
     */
    public record Deletion(
            String id, boolean slotDropped, boolean publicationDropped, Long objectsDeleted, List<String> warnings) {}
}
