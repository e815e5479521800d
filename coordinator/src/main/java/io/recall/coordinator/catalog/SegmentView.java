package io.recall.coordinator.catalog;

import java.time.OffsetDateTime;

/**
 * A stored segment as the API shows it. LSNs as PostgreSQL prints them ({@code X/Y}).
 *
 * @param objectKey where it is in storage, under the deployment's storage prefix
 * @param firstLsn the lowest commit LSN of its transactions (of its heartbeats when it has none)
 * @param lastLsn the highest commit LSN of its transactions (of its heartbeats when it has none)
 * @param firstCommitTime null when the segment holds no transaction (an idle source's heartbeats)
 * @param lastCommitTime null when the segment holds no transaction
 * @param watermarkLsn every transaction with commit LSN below it is archived once this segment is stored
 * @param watermarkTime the server time that came with the watermark
 * @param sealedAt when the sink announced it
 */
public record SegmentView(
        String objectKey,
        String firstLsn,
        String lastLsn,
        OffsetDateTime firstCommitTime,
        OffsetDateTime lastCommitTime,
        String watermarkLsn,
        OffsetDateTime watermarkTime,
        long recordCount,
        long transactionCount,
        long changeCount,
        long storedBytes,
        long uncompressedBytes,
        String schemaFingerprint,
        OffsetDateTime sealedAt) {}
