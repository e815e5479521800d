package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import java.time.Instant;

/** Running totals of a segment being written, from which its {@link SegmentMetadata} follows. Not thread-safe. */
final class SegmentStats {

    private final SourceId source;

    private Lsn minChunkLsn;
    private Instant minChunkTime;
    private Lsn maxChunkLsn;
    private Instant maxChunkTime;
    private Lsn minOtherLsn;
    private Lsn maxOtherLsn;
    private Lsn watermark;
    private Instant watermarkTime;
    private long records;
    private long transactions;
    private long changes;
    private long bytes;
    private boolean inTransaction;

    SegmentStats(SourceId source, Lsn startWatermark, Instant startWatermarkTime) {
        this.source = source;
        this.watermark = startWatermark;
        this.watermarkTime = startWatermark.isValid() ? startWatermarkTime : null;
    }

    void add(ChangeEnvelope record, int datumBytes) {
        switch (record.getBody()) {
            case TransactionChunk c -> {
                Lsn commit = new Lsn(c.getCommitLsn());
                if (minChunkLsn == null || commit.isBefore(minChunkLsn)) {
                    minChunkLsn = commit;
                    minChunkTime = c.getCommitTime();
                }
                if (maxChunkLsn == null || commit.compareTo(maxChunkLsn) >= 0) {
                    maxChunkLsn = commit;
                    maxChunkTime = c.getCommitTime();
                }
                changes += c.getChanges().size();
                inTransaction = !c.getLastChunk();
                if (c.getLastChunk()) {
                    transactions++;
                    // Commit.end_lsn: every transaction with a lower commit LSN came before this one
                    raiseWatermark(new Lsn(c.getEndLsn()), c.getCommitTime());
                }
            }
            case Heartbeat h -> {
                Lsn walEnd = new Lsn(h.getWalEnd());
                other(walEnd);
                raiseWatermark(walEnd, h.getServerTime());
                // capture writes heartbeats only between transactions: a run of chunks before one was abandoned
                inTransaction = false;
            }
            case SequenceValues s -> {
                other(new Lsn(s.getLsn()));
                inTransaction = false;
            }
            default -> throw new IllegalArgumentException("unknown change record body " + record.getBody());
        }
        records++;
        bytes += datumBytes;
    }

    private void other(Lsn lsn) {
        if (minOtherLsn == null || lsn.isBefore(minOtherLsn)) {
            minOtherLsn = lsn;
        }
        if (maxOtherLsn == null || lsn.isAfter(maxOtherLsn)) {
            maxOtherLsn = lsn;
        }
    }

    private void raiseWatermark(Lsn lsn, Instant time) {
        if (lsn.isAfter(watermark)) {
            watermark = lsn;
            watermarkTime = time;
        }
    }

    long records() {
        return records;
    }

    long bytes() {
        return bytes;
    }

    boolean inTransaction() {
        return inTransaction;
    }

    Lsn watermark() {
        return watermark;
    }

    Instant watermarkTime() {
        return watermarkTime;
    }

    /** @throws IllegalStateException if nothing was added */
    SegmentMetadata metadata() {
        if (records == 0) {
            throw new IllegalStateException("an empty segment has no metadata");
        }
        boolean chunks = minChunkLsn != null;
        return new SegmentMetadata(
                source,
                chunks ? minChunkLsn : minOtherLsn,
                chunks ? maxChunkLsn : maxOtherLsn,
                chunks ? minChunkTime : null,
                chunks ? maxChunkTime : null,
                watermark,
                watermarkTime,
                records,
                transactions,
                changes,
                bytes,
                SegmentFormat.SCHEMA_FINGERPRINT_HEX,
                SegmentFormat.FORMAT_VERSION,
                SegmentFormat.WRITER_VERSION);
    }
}
