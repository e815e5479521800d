package io.recall.restore.replay;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the stored stream of a source can restore to.
 *
 * @param start the oldest base backup's consistent point: the stream holds every transaction from here on
 * @param startTime that backup's snapshot time; no time target before it can be restored
 * @param end the archived (or durable) watermark: every transaction with commit LSN below it is stored
 * @param endTime the source's clock when its position passed {@code end} (from the heartbeat that carried it)
 * @param gaps ranges of commit LSNs the stream lost (slot dropped, WAL removed); no replay may cross one
 */
public record RecoveryWindow(Lsn start, Instant startTime, Lsn end, Instant endTime, List<Gap> gaps) {

    public RecoveryWindow {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(endTime, "endTime");
        gaps = List.copyOf(gaps);
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("window end " + end + " is before its start " + start);
        }
    }

    /** Commit LSNs in [{@code from}, {@code to}) whose transactions are lost. */
    public record Gap(Lsn from, Lsn to) {
        public Gap {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (to.isBefore(from)) {
                throw new IllegalArgumentException("gap end " + to + " is before its start " + from);
            }
        }

        /** Whether the gap shares a commit LSN with [{@code lo}, {@code hi}). */
        boolean overlaps(Lsn lo, Lsn hi) {
            return from.isBefore(hi) && lo.isBefore(to);
        }
    }

    @Override
    public String toString() {
        return "[" + start + " (" + startTime + "), " + end + " (" + endTime + "))"
                + (gaps.isEmpty() ? "" : " gaps " + gaps);
    }
}
