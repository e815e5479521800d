package io.recall.coordinator.source;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.source.probe.DdlCaptureMode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * A registered source as the coordinator keeps it. {@code connection} carries no password: the password lives only
 * as ciphertext ({@code passwordCiphertext}).
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
        SourceStatus status,
        String statusDetail,
        boolean paused,
        long epoch,
        Lsn durableLsn,
        OffsetDateTime durableCommitTime,
        Lsn archivedLsn,
        OffsetDateTime archivedTime,
        Long slotLagBytes,
        String lastError,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt) {

    public Source {
        tables = List.copyOf(tables);
        retention = retention == null ? null : Map.copyOf(retention);
    }
}
