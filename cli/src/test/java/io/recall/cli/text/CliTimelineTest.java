package io.recall.cli.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CliTimelineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void intervalsAndGapsInLsnOrderWithUtcTimesAndSpans() throws Exception {
        // given out of order, and in an order where text comparison of the LSNs would be wrong (9... > 1...)
        var window = JSON.readTree("""
                {"intervals": [
                   {"fromLsn": "0/10000000", "fromTime": "2026-11-23T13:00:00+01:00",
                    "toLsn": "0/12000000", "toTime": "2026-11-23T12:35:00Z"},
                   {"fromLsn": "0/9000000", "fromTime": "2026-11-23T10:00:00Z",
                    "toLsn": "0/9A00000", "toTime": "2026-11-23T11:59:59.250Z"}],
                 "gaps": [{"fromLsn": "0/9A00000", "toLsn": "0/10000000", "reason": "slot lost"}]}
                """);
        assertThat(Timeline.lines(window))
                .containsExactly(
                        "            FROM LSN    FROM (UTC)            TO LSN      TO (UTC)                  SPAN",
                        "restorable  0/9000000   2026-11-23T10:00:00Z  0/9A00000   2026-11-23T11:59:59.250Z  1h 59m",
                        "gap         0/9A00000                         0/10000000                            not"
                                + " restorable: slot lost",
                        "restorable  0/10000000  2026-11-23T12:00:00Z  0/12000000  2026-11-23T12:35:00Z      35m 00s",
                        "",
                        "2 restorable intervals, 2h 34m in all, from 2026-11-23T10:00:00Z to 2026-11-23T12:35:00Z;"
                                + " 1 gap");
    }

    @Test
    void anOpenGapHasNoEnd() throws Exception {
        var window = JSON.readTree("""
                {"intervals": [{"fromLsn": "0/100", "fromTime": "2026-11-23T10:00:00Z",
                                "toLsn": "0/200", "toTime": "2026-11-23T10:00:42Z"}],
                 "gaps": [{"fromLsn": "0/200", "toLsn": null, "reason": null}]}
                """);
        assertThat(Timeline.lines(window))
                .contains("gap         0/200                           open                          not restorable")
                .last()
                .isEqualTo("1 restorable interval, 42s in all, from 2026-11-23T10:00:00Z to 2026-11-23T10:00:42Z;"
                        + " 1 gap");
    }

    @Test
    void approximateRangesAreListedAsRestorableApproximately() throws Exception {
        var window = JSON.readTree("""
                {"intervals": [{"fromLsn": "0/100", "fromTime": "2026-11-23T10:00:00Z",
                                "toLsn": "0/900", "toTime": "2026-11-23T10:01:00Z"}],
                 "gaps": [],
                 "approximate": [{"fromLsn": "0/300", "toLsn": "0/500", "reason": "column q changed type"}]}
                """);
        assertThat(Timeline.lines(window))
                .anySatisfy(l -> assertThat(l)
                        .startsWith("approximate  0/300")
                        .contains("0/500")
                        .endsWith("restorable, approximately: column q changed type"))
                .last()
                .isEqualTo("1 restorable interval, 1m 00s in all, from 2026-11-23T10:00:00Z to 2026-11-23T10:01:00Z;"
                        + " 0 gaps; 1 approximate range (schema changes captured without event triggers)");
    }

    @Test
    void anEmptyWindowSaysWhy() throws Exception {
        assertThat(Timeline.lines(JSON.readTree("{\"intervals\": [], \"gaps\": []}")))
                .containsExactly("nothing restorable yet: no base backup has finished");
    }
}
