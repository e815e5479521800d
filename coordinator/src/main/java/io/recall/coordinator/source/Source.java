package io.recall.coordinator.source;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.source.probe.DdlCaptureMode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A registered source as the coordinator keeps it. {@code connection} carries no password: the password lives only
 * as ciphertext ({@code passwordCiphertext}).
 *
 * @param epoch grows with every change of desired state
 * @param publishedEpoch the epoch of the last desired state (or tombstone) Kafka acknowledged; null = none yet
 * @param baseBackupRequestId the latest base backup an operator asked for; part of the desired state
 * @param deletionRequestedAt set once {@code DELETE} began: the desired state is a tombstone from then on
 * @param ddlCaptureMode how the probe expects schema changes to be captured
 * @param ddlCapture how the capture worker reported it captures them; null until one has
 */
public record Source(
        SourceId id,
        String name,
        ConnectionString connection,
        String passwordCiphertext,
        TableSelection selection,
        List<TableName> tables,
        String slotName,
        String publicationName,
        String baseBackupSchedule,
        Map<String, Object> retention,
        String systemIdentifier,
        Integer serverVersionNum,
        DdlCaptureMode ddlCaptureMode,
        DdlCapture ddlCapture,
        SourceStatus status,
        String statusDetail,
        boolean paused,
        long epoch,
        Long publishedEpoch,
        UUID baseBackupRequestId,
        OffsetDateTime deletionRequestedAt,
        Lsn durableLsn,
        OffsetDateTime durableCommitTime,
        Lsn archivedLsn,
        OffsetDateTime archivedTime,
        Long slotLagBytes,
        String lastError,
        String archiveError,
        OffsetDateTime archiveErrorSince,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt) {

    public Source {
        tables = List.copyOf(tables);
        retention = retention == null ? null : Map.copyOf(retention);
    }

    public boolean deleting() {
        return deletionRequestedAt != null;
    }

    /** Kafka has acknowledged the desired state of the current epoch. */
    public boolean published() {
        return publishedEpoch != null && publishedEpoch == epoch;
    }
}
