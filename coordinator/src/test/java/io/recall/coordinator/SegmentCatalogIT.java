package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.await;
import static io.recall.coordinator.CatalogEvents.segment;
import static io.recall.coordinator.CatalogEvents.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import io.recall.schemas.catalog.SegmentSealed;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code SegmentSealed} announcements become the catalog of segments and move the archived watermark. */
class SegmentCatalogIT extends CoordinatorIT {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00.000001Z");

    private JsonNode source(String id) {
        Api.Response r = admin().get("/api/v1/sources/" + id);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static long segmentRows(String id) {
        return (Long) query("SELECT count(*) FROM segments WHERE source_id = '" + id + "'")
                .getFirst()
                .getFirst();
    }

    @Test
    void segmentsAreRecordedOnceAndMoveTheArchivedWatermarkOnlyForward() {
        String id = registerSource("segments");
        SegmentSealed busy = segment(
                id,
                Lsn.parse("0/1000"),
                Lsn.parse("0/1F00"),
                12,
                T0,
                T0.plusSeconds(50),
                Lsn.parse("0/1F40"),
                T0.plusSeconds(50));
        // an idle source: heartbeats only, no commit times, but the watermark moves on with the server's position
        SegmentSealed idle = segment(
                id, Lsn.parse("0/2000"), Lsn.parse("0/3000"), 0, null, null, Lsn.parse("0/3000"), T0.plusSeconds(120));

        send(id, busy);
        send(id, busy);
        send(id, idle);
        // a late duplicate of the first (a sink that crashed before committing its offsets announces it again)
        send(id, busy);
        String marker = registerSource("marker");
        send(marker, segment(marker, Lsn.parse("0/10"), Lsn.parse("0/10"), 0, null, null, Lsn.parse("0/10"), T0));
        await("the last announcement recorded", () -> segmentRows(marker) == 1);

        assertThat(segmentRows(id)).isEqualTo(2);
        JsonNode s = source(id);
        assertThat(s.get("archivedLsn").asText()).isEqualTo("0/3000");
        assertThat(OffsetDateTime.parse(s.get("archivedTime").asText()).toInstant())
                .isEqualTo(T0.plusSeconds(120));

        List<List<Object>> rows = query("SELECT first_lsn, last_lsn, transaction_count, change_count,"
                + " first_commit_time IS NULL, watermark_lsn, object_key FROM segments WHERE source_id = '" + id
                + "' ORDER BY first_lsn");
        assertThat(rows.get(0))
                .containsExactly(
                        Lsn.parse("0/1000").value(),
                        Lsn.parse("0/1F00").value(),
                        12L,
                        48L,
                        false,
                        Lsn.parse("0/1F40").value(),
                        "sources/" + id + "/segments/0000000000001000-0000000000001F00.avro");
        assertThat(rows.get(1).subList(2, 6))
                .containsExactly(0L, 0L, true, Lsn.parse("0/3000").value());
    }

    @Test
    void aSegmentWhoseKeyNamesAnotherSourceIsNotRecorded() {
        String id = registerSource("bad-key");
        String other = UUID.randomUUID().toString();
        SegmentSealed foreign = SegmentSealed.newBuilder(
                        segment(id, Lsn.parse("0/100"), Lsn.parse("0/200"), 1, T0, T0, Lsn.parse("0/210"), T0))
                .setObjectKey("sources/" + other + "/segments/0000000000000100-0000000000000200.avro")
                .build();
        send(id, foreign);
        send(id, segment(id, Lsn.parse("0/300"), Lsn.parse("0/400"), 1, T0, T0, Lsn.parse("0/410"), T0));

        await("the valid segment recorded", () -> segmentRows(id) == 1);
        assertThat(source(id).get("archivedLsn").asText()).isEqualTo("0/410");
        assertThat(query("SELECT first_lsn FROM segments WHERE source_id = '" + id + "'"))
                .containsExactly(List.of(Lsn.parse("0/300").value()));
    }
}
