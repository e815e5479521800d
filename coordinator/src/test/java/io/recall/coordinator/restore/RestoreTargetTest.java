package io.recall.coordinator.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.errors.InvalidRequestException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreTargetTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RestoreTarget parse(String json) throws Exception {
        return RestoreTarget.parse(JSON.readTree(json));
    }

    @Test
    void eachKindParsesAndShowsAsRequested() throws Exception {
        assertThat(parse("{\"lsn\": \"0/16b3748\"}")).isEqualTo(new RestoreTarget.AtLsn(Lsn.parse("0/16B3748")));
        assertThat(parse("{\"lsn\": \"0/16b3748\"}").asJson()).isEqualTo(Map.of("lsn", "0/16B3748"));
        assertThat(parse("{\"time\": \"2026-11-23T11:00:00+01:00\"}"))
                .isEqualTo(new RestoreTarget.AtTime(Instant.parse("2026-11-23T10:00:00Z")));
        assertThat(parse("{\"time\": \"2026-11-23T10:00:00Z\"}").asJson())
                .isEqualTo(Map.of("time", "2026-11-23T10:00:00Z"));
        assertThat(parse("{\"xid\": 1234}")).isEqualTo(new RestoreTarget.AtXid(1234));
        assertThat(parse("{\"xid\": 8589934595}")).as("an xid8").isEqualTo(new RestoreTarget.AtXid(8589934595L));
        assertThat(parse("{\"restorePoint\": \"before-migration\"}"))
                .isEqualTo(new RestoreTarget.AtRestorePoint("before-migration"));
        assertThat(parse("{\"latest\": true}")).isEqualTo(new RestoreTarget.Latest());
        assertThat(parse("{\"latest\": true}").asJson()).isEqualTo(Map.of("latest", true));
    }

    @Test
    void malformedTargetsAreRefusedSayingWhatToSend() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("null", "target is required"),
                Map.entry("\"0/1\"", "must be an object"),
                Map.entry("{}", "no kind"),
                Map.entry("{\"lsn\": \"0/1\", \"xid\": 5}", "exactly one"),
                Map.entry("{\"scn\": 5}", "unknown [scn]"),
                Map.entry("{\"lsn\": \"16B3748\"}", "not an LSN"),
                Map.entry("{\"lsn\": 5}", "not an LSN"),
                Map.entry("{\"time\": \"2026-11-23T10:00:00\"}", "zone offset"),
                Map.entry("{\"time\": \"yesterday\"}", "ISO-8601"),
                Map.entry("{\"xid\": -3}", "not a transaction id"),
                Map.entry("{\"xid\": 2}", "not a transaction id"),
                Map.entry("{\"xid\": 1.5}", "not a transaction id"),
                Map.entry("{\"xid\": 99999999999999999999}", "not a transaction id"),
                Map.entry("{\"restorePoint\": \"../etc\"}", "not valid"),
                Map.entry("{\"latest\": false}", "must be true"));
        bad.forEach((json, message) -> assertThatThrownBy(() -> parse(json))
                .as(json)
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(message));
    }

    @Test
    void aMissingTargetIsRefused() {
        assertThatThrownBy(() -> RestoreTarget.parse((JsonNode) null)).hasMessageContaining("target is required");
    }
}
