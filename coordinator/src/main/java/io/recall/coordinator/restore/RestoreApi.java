package io.recall.coordinator.restore;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Request and response bodies of the restores and restore-points API. */
public final class RestoreApi {

    private RestoreApi() {}

    /**
     * {@code POST /api/v1/restores}.
     *
     * @param target exactly one of {@code {"lsn": "0/16B3748"}}, {@code {"time": "2026-11-23T10:00:00Z"}},
     *     {@code {"xid": 1234}}, {@code {"restorePoint": "name"}}, {@code {"latest": true}}
     * @param inclusive whether the target transaction itself is applied (default true)
     * @param targetConnectionString the database to restore into, a {@code postgresql://} URI or libpq string
     * @param tables {@code "schema.table"} or {@code "schema.*"} to restore; absent: every captured table
     * @param mode {@code "empty"} (default: refuse a target that holds anything) or {@code "overwrite"}
     * @param createDatabase create the target database if it does not exist (default false)
     */
    public record CreateRestore(
            String sourceId,
            JsonNode target,
            Boolean inclusive,
            String targetConnectionString,
            List<String> tables,
            String mode,
            Boolean createDatabase) {}

    /**
     * A restore job as the API shows it. Every property is always present (null until known).
     *
     * @param target as requested, one property; null only while the job is known from a worker's report alone
     * @param approximate whether the restore replays across a schema change that fallback DDL capture could not
     *     rebuild exactly (the target lies in an approximate range of the recovery window), as judged when the job was
     *     accepted; null when it was not judged (an xid target, a job written straight to {@code recall.restore-jobs})
     * @param approximateReason why it is approximate: the ranges and their reasons; null unless it is
     * @param targetDatabase the target connection string with its password masked
     * @param restoredTo where the restore ended: the commit LSN and time of the last applied transaction
     * @param attempt grows when a worker restarts the job after another died; null until a worker reported
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RestoreView(
            String id,
            String sourceId,
            String status,
            Map<String, Object> target,
            boolean inclusive,
            Boolean approximate,
            String approximateReason,
            String targetDatabase,
            String mode,
            boolean createDatabase,
            List<String> tables,
            OffsetDateTime requestedAt,
            String requestedBy,
            OffsetDateTime startedAt,
            OffsetDateTime finishedAt,
            boolean cancelRequested,
            Progress progress,
            String baseBackupId,
            String cutoffLsn,
            RestoredTo restoredTo,
            String error,
            String worker,
            Integer attempt) {}

    /** What the worker last reported; all null until it reports. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Progress(
            String phase,
            String message,
            Long segmentsApplied,
            Long segmentsTotal,
            Long bytesRead,
            Long bytesTotal,
            Long transactionsApplied,
            Long rowsApplied,
            Double rowsPerSecond,
            Long etaSeconds) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RestoredTo(String lsn, OffsetDateTime time) {}

    /** {@code POST /api/v1/sources/{id}/restore-points}. */
    public record CreateRestorePoint(String name) {}

    /**
     * A named restore point: the source's {@code pg_current_wal_lsn()} and clock when it was created. Restoring to it
     * applies every transaction committed before {@code lsn}.
     */
    public record RestorePointView(String sourceId, String name, String lsn, OffsetDateTime time) {}
}
