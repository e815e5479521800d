package io.recall.coordinator.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.recall.coordinator.catalog.RecoveryWindow.MarkedRange;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * {@code GET /api/v1/sources/{id}/recovery-window}: the {@link RecoveryWindow} with LSNs as PostgreSQL prints them.
 *
 * @param intervals restorable points, {@code fromLsn} to {@code toLsn} inclusive, disjoint, in LSN order
 * @param gaps breaks in the stream, {@code [fromLsn, toLsn)}; {@code toLsn} is null while the gap is open
 * @param approximate where a restore replays across a schema change only approximately, {@code [fromLsn, toLsn)};
 *     {@code toLsn} is null while the range is open. Targets inside are restorable
 */
public record RecoveryWindowView(List<IntervalView> intervals, List<RangeView> gaps, List<RangeView> approximate) {

    public record IntervalView(String fromLsn, OffsetDateTime fromTime, String toLsn, OffsetDateTime toTime) {}

    /** A gap or an approximate range. */
    public record RangeView(
            String fromLsn,
            @JsonInclude(JsonInclude.Include.ALWAYS) String toLsn,
            String reason) {

        static RangeView of(MarkedRange r) {
            return new RangeView(
                    r.fromLsn().toString(), r.toLsn() == null ? null : r.toLsn().toString(), r.reason());
        }
    }

    public static RecoveryWindowView of(RecoveryWindow w) {
        return new RecoveryWindowView(
                w.intervals().stream()
                        .map(i -> new IntervalView(
                                i.fromLsn().toString(),
                                utc(i.fromTime()),
                                i.toLsn().toString(),
                                utc(i.toTime())))
                        .toList(),
                w.gaps().stream().map(RangeView::of).toList(),
                w.approximate().stream().map(RangeView::of).toList());
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
