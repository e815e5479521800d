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
import java.util.ArrayList;
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

    @Test
    void segmentsArePagedByFirstLsnWithoutSplittingOnesThatShareIt() {
        String id = registerSource("paging");
        String[][] ranges = {
            {"0/500", "0/580"},
            {"0/100", "0/180"},
            {"0/300", "0/3A0"},
            {"0/200", "0/280"},
            {"0/300", "0/380"},
            {"0/400", "0/480"}
        };
        for (String[] r : ranges) {
            Lsn last = Lsn.parse(r[1]);
            send(id, segment(id, Lsn.parse(r[0]), last, 2, T0, T0.plusSeconds(1), last, T0.plusSeconds(1)));
        }
        await("six segments recorded", () -> segmentRows(id) == 6);

        JsonNode first =
                admin().get("/api/v1/sources/" + id + "/segments?limit=3").json();
        assertThat(ranges(first)).containsExactly("0/100-0/180", "0/200-0/280", "0/300-0/380", "0/300-0/3A0");
        assertThat(first.get("next").asText()).isEqualTo("0/300");
        JsonNode second = admin().get("/api/v1/sources/" + id + "/segments?limit=3&after=0/300")
                .json();
        assertThat(ranges(second)).containsExactly("0/400-0/480", "0/500-0/580");
        assertThat(second.has("next")).isFalse();

        JsonNode one = first.get("segments").get(0);
        assertThat(one.get("objectKey").asText())
                .isEqualTo("sources/" + id + "/segments/0000000000000100-0000000000000180.avro");
        assertThat(one.get("watermarkLsn").asText()).isEqualTo("0/180");
        assertThat(one.get("transactionCount").asLong()).isEqualTo(2);
        assertThat(one.get("changeCount").asLong()).isEqualTo(8);
        assertThat(OffsetDateTime.parse(one.get("firstCommitTime").asText()).toInstant())
                .isEqualTo(T0);
        assertThat(one.get("sealedAt").asText()).isNotBlank();

        JsonNode all = admin().get("/api/v1/sources/" + id + "/segments").json();
        assertThat(all.get("segments")).hasSize(6);
    }

    @Test
    void badPagingParametersAndUnknownSourcesAreRefused() {
        String id = registerSource("paging-errors");
        Api.Response zero = admin().get("/api/v1/sources/" + id + "/segments?limit=0");
        Api.Response huge = admin().get("/api/v1/sources/" + id + "/segments?limit=5000");
        Api.Response after = admin().get("/api/v1/sources/" + id + "/segments?after=16B3748");
        Api.Response unknown = admin().get("/api/v1/sources/" + UUID.randomUUID() + "/segments");

        assertThat(zero.status()).isEqualTo(400);
        assertThat(zero.json().get("detail").asText()).contains("limit");
        assertThat(huge.status()).isEqualTo(400);
        assertThat(after.status()).isEqualTo(400);
        assertThat(after.json().get("detail").asText()).contains("after").contains("0/16B3748");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/sources/" + id + "/segments").json().get("segments"))
                .isEmpty();
    }

    private static List<String> ranges(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("segments")
                .forEach(s -> out.add(
                        s.get("firstLsn").asText() + "-" + s.get("lastLsn").asText()));
        return out;
    }
}
