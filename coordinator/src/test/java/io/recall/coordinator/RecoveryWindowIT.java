package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.approximateRange;
import static io.recall.coordinator.CatalogEvents.backup;
import static io.recall.coordinator.CatalogEvents.gap;
import static io.recall.coordinator.CatalogEvents.segment;
import static io.recall.coordinator.CatalogEvents.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/sources/{id}/recovery-window} as the catalog fills: it grows, shows a gap (I4), and shows where
 * restores replay across a schema change only approximately.
 */
class RecoveryWindowIT extends CoordinatorIT {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private static Instant t(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    /** Reads the window until {@code done} holds, for up to 30 s. */
    private JsonNode awaitWindow(String id, Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Api.Response r = admin().get("/api/v1/sources/" + id + "/recovery-window");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            if (done.test(r.json())) {
                return r.json();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("recovery window never matched; last: " + r.body());
            }
            KafkaRecords.sleep(100);
        }
    }

    /** Intervals as "fromLsn@fromTime..toLsn@toTime". */
    static List<String> intervals(JsonNode window) {
        List<String> out = new ArrayList<>();
        window.get("intervals")
                .forEach(i -> out.add(i.get("fromLsn").asText() + "@"
                        + Instant.parse(i.get("fromTime").asText()) + ".."
                        + i.get("toLsn").asText() + "@"
                        + Instant.parse(i.get("toTime").asText())));
        return out;
    }

    /** Gaps as "fromLsn..toLsn reason" (toLsn "open" while null). */
    static List<String> gaps(JsonNode window) {
        return ranges(window.get("gaps"));
    }

    /** Approximate ranges as "fromLsn..toLsn reason" (toLsn "open" while null). */
    static List<String> approximate(JsonNode window) {
        return ranges(window.get("approximate"));
    }

    private static List<String> ranges(JsonNode ranges) {
        List<String> out = new ArrayList<>();
        ranges.forEach(g -> out.add(g.get("fromLsn").asText() + ".."
                + (g.get("toLsn").isNull() ? "open" : g.get("toLsn").asText()) + " "
                + g.get("reason").asText()));
        return out;
    }

    @Test
    void theWindowGrowsAsSegmentsSealAndShowsAGapAfterASlotLoss() {
        String id = registerSource("window");
        JsonNode empty = awaitWindow(id, w -> true);
        assertThat(empty.get("intervals")).isEmpty();
        assertThat(empty.get("gaps")).isEmpty();
        assertThat(empty.get("approximate")).isEmpty();

        // the first base backup alone: restorable to its consistent point only
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), t(0), "INITIAL", 4096));
        JsonNode first = awaitWindow(id, w -> w.get("intervals").size() == 1);
        assertThat(intervals(first)).containsExactly("0/1000@" + t(0) + "..0/1000@" + t(0));

        send(id, segment(id, Lsn.parse("0/1000"), Lsn.parse("0/1F00"), 5, t(0), t(1), Lsn.parse("0/2000"), t(1)));
        awaitWindow(id, w -> intervals(w).equals(List.of("0/1000@" + t(0) + "..0/2000@" + t(1))));
        // an idle source: a segment of heartbeats moves the end on
        send(id, segment(id, Lsn.parse("0/2000"), Lsn.parse("0/3000"), 0, null, null, Lsn.parse("0/3000"), t(2)));
        awaitWindow(id, w -> intervals(w).equals(List.of("0/1000@" + t(0) + "..0/3000@" + t(2))));

        // the slot loses its WAL: an open gap, nothing restorable after its start
        send(id, gap(Lsn.parse("0/3000"), "replication slot lost its WAL (wal_status = lost)"));
        JsonNode broken = awaitWindow(id, w -> w.get("gaps").size() == 1);
        assertThat(gaps(broken)).containsExactly("0/3000..open replication slot lost its WAL (wal_status = lost)");
        assertThat(broken.get("gaps").get(0).has("toLsn"))
                .as("an open gap says so")
                .isTrue();
        assertThat(intervals(broken)).containsExactly("0/1000@" + t(0) + "..0/3000@" + t(2));

        // the new slot's base backup closes the gap and opens a new interval
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/8000"), t(10), "AFTER_GAP", 4096));
        JsonNode closed = awaitWindow(id, w -> w.get("intervals").size() == 2);
        assertThat(gaps(closed)).containsExactly("0/3000..0/8000 replication slot lost its WAL (wal_status = lost)");
        assertThat(intervals(closed))
                .containsExactly("0/1000@" + t(0) + "..0/3000@" + t(2), "0/8000@" + t(10) + "..0/8000@" + t(10));

        send(id, segment(id, Lsn.parse("0/8000"), Lsn.parse("0/9000"), 3, t(11), t(12), Lsn.parse("0/9100"), t(12)));
        JsonNode grown = awaitWindow(
                id, w -> w.get("intervals").get(1).get("toLsn").asText().equals("0/9100"));
        assertThat(intervals(grown))
                .containsExactly("0/1000@" + t(0) + "..0/3000@" + t(2), "0/8000@" + t(10) + "..0/9100@" + t(12));

        // DESIGN.md's shape, and the approximate ranges
        assertThat(fieldNames(grown)).containsExactly("intervals", "gaps", "approximate");
        assertThat(fieldNames(grown.get("intervals").get(0))).containsExactly("fromLsn", "fromTime", "toLsn", "toTime");
        assertThat(fieldNames(grown.get("gaps").get(0))).containsExactly("fromLsn", "toLsn", "reason");
    }

    @Test
    void anApproximateRangeIsListedAndEndsAtTheNextBaseBackupsConsistentPoint() {
        String id = registerSource("window-approximate");
        String reason = "ALTER TABLE t ADD COLUMN c: added without its earlier values";
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), t(0), "INITIAL", 4096));
        send(id, segment(id, Lsn.parse("0/1000"), Lsn.parse("0/2F00"), 5, t(0), t(2), Lsn.parse("0/3000"), t(2)));
        // reported twice, as a worker that restarts reports it again
        send(id, approximateRange(Lsn.parse("0/2000"), null, reason));
        send(id, approximateRange(Lsn.parse("0/2000"), null, reason));

        JsonNode open = awaitWindow(id, w -> !w.get("approximate").isEmpty());
        assertThat(approximate(open)).containsExactly("0/2000..open " + reason);
        assertThat(open.get("approximate").get(0).has("toLsn"))
                .as("an open range says so")
                .isTrue();
        assertThat(fieldNames(open.get("approximate").get(0))).containsExactly("fromLsn", "toLsn", "reason");
        // restorable all the same: the interval runs across it
        assertThat(intervals(open)).containsExactly("0/1000@" + t(0) + "..0/3000@" + t(2));
        assertThat(open.get("gaps")).isEmpty();

        // the base backup that follows (an online one) ends it at its consistent point
        send(id, segment(id, Lsn.parse("0/3000"), Lsn.parse("0/4F00"), 4, t(3), t(5), Lsn.parse("0/5000"), t(5)));
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/4000"), t(4), "REQUESTED", 4096));
        JsonNode closed =
                awaitWindow(id, w -> !w.get("approximate").get(0).get("toLsn").isNull());
        assertThat(approximate(closed)).containsExactly("0/2000..0/4000 " + reason);
        assertThat(intervals(closed)).containsExactly("0/1000@" + t(0) + "..0/5000@" + t(5));
        assertThat(closed.get("gaps")).isEmpty();
    }

    @Test
    void anUnknownSourceHasNoWindow() {
        Api.Response r = admin().get("/api/v1/sources/" + UUID.randomUUID() + "/recovery-window");
        assertThat(r.status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/sources/not-a-uuid/recovery-window").status())
                .isEqualTo(400);
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
