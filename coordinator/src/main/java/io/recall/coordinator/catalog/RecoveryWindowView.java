package io.recall.coordinator.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * {@code GET /api/v1/sources/{id}/recovery-window}: the {@link RecoveryWindow} with LSNs as PostgreSQL prints them.
 *
 * @param intervals restorable points, {@code fromLsn} to {@code toLsn} inclusive, disjoint, in LSN order
 * @param gaps breaks in the stream, {@code [fromLsn, toLsn)}; {@code toLsn} is null while the gap is open
 */
public record RecoveryWindowView(List<IntervalView> intervals, List<GapView> gaps) {

    public record IntervalView(String fromLsn, OffsetDateTime fromTime, String toLsn, OffsetDateTime toTime) {}

    public record GapView(
            String fromLsn,
            @JsonInclude(JsonInclude.Include.ALWAYS) String toLsn,
            String reason) {}

    public static RecoveryWindowView of(RecoveryWindow w) {
        return new RecoveryWindowView(
                w.intervals().stream()
                        .map(i -> new IntervalView(
                                i.fromLsn().toString(),
                                utc(i.fromTime()),
                                i.toLsn().toString(),
                                utc(i.toTime())))
                        .toList(),
                w.gaps().stream()
                        .map(g -> new GapView(
                                g.fromLsn().toString(),
                                g.toLsn() == null ? null : g.toLsn().toString(),
                                g.reason()))
                        .toList());
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
