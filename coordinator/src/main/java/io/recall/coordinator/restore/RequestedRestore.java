package io.recall.coordinator.restore;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a restore request says, as the coordinator records it: from {@code POST /api/v1/restores}, or from a record
 * another system wrote straight to {@code recall.restore-jobs}.
 *
 * @param target as requested, one property (see {@link RestoreTarget#asJson()})
 * @param latestLsn for latest, time and xid targets: the durable watermark when the coordinator accepted the job,
 *     which the worker waits to see stored before it resolves the target
 * @param restorePointLsn for a restore point: the LSN recorded under its name
 * @param approximation whether the restore replays across an approximate range, as judged at acceptance
 * @param connectionCiphertext the whole target connection string sealed by {@link io.recall.common.crypto.SecretCipher}
 * @param targetDisplay the target connection string with its password masked; never the password
 * @param tables null: every captured table
 * @param submittedVia {@code API} or {@code KAFKA}
 */
record RequestedRestore(
        UUID id,
        SourceId source,
        Map<String, Object> target,
        boolean inclusive,
        Lsn latestLsn,
        Lsn restorePointLsn,
        Approximation approximation,
        String connectionCiphertext,
        String targetDisplay,
        RestoreMode mode,
        boolean createDatabase,
        List<String> tables,
        String submittedVia,
        OffsetDateTime requestedAt,
        String requestedBy) {}
