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

    /** A source as the API shows it: the connection string with its password masked, never in clear. */
    public record SourceView(
            String id,
            String name,
            String connectionString,
            String status,
            String statusDetail,
            boolean paused,
            List<String> tables,
            List<String> tablePatterns,
            List<String> excludeTables,
            String slotName,
            String publicationName,
            String baseBackupSchedule,
            Map<String, Object> retention,
            String ddlCaptureMode,
            Integer serverVersionNum,
            String durableLsn,
            OffsetDateTime durableCommitTime,
            String archivedLsn,
            OffsetDateTime archivedTime,
            Long slotLagBytes,
            String lastError,
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
                    s.tables().stream().map(TableName::toString).toList(),
                    s.selection().includeText(),
                    s.selection().excludeText(),
                    s.slotName(),
                    s.publicationName(),
                    s.baseBackupSchedule(),
                    s.retention(),
                    s.ddlCaptureMode() == null ? null : s.ddlCaptureMode().name(),
                    s.serverVersionNum(),
                    s.durableLsn() == null ? null : s.durableLsn().toString(),
                    s.durableCommitTime(),
                    s.archivedLsn() == null ? null : s.archivedLsn().toString(),
                    s.archivedTime(),
                    s.slotLagBytes(),
                    s.lastError(),
                    s.createdAt(),
                    s.updatedAt(),
                    probe);
        }
    }

    /** The answer to {@code DELETE /api/v1/sources/{id}}: what was removed on the source. */
    public record Deletion(String id, boolean slotDropped, boolean publicationDropped, List<String> warnings) {}
}
