package io.recall.cli.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CliProgressLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-23T10:01:05Z");

    @Test
    void aRunningReplayShowsPhaseSegmentsRowsRateEtaAndElapsedTime() throws Exception {
        JsonNode view = JSON.readTree("""
                {"id": "r1", "status": "RUNNING", "startedAt": "2026-11-23T11:00:00+01:00",
                 "cancelRequested": false, "unknownField": [1, 2],
                 "progress": {"phase": "REPLAYING", "message": "segment 12 of 40", "segmentsApplied": 12,
                              "segmentsTotal": 40, "bytesRead": 1000, "bytesTotal": 9000,
                              "transactionsApplied": 300, "rowsApplied": 1234567, "rowsPerSecond": 58234.5,
                              "etaSeconds": 192}}
                """);
        assertThat(ProgressLine.format(view, NOW))
                .isEqualTo("RUNNING  replaying  segments 12/40  1,234,567 rows  58.2k rows/s  ETA 3m 12s"
                        + "  elapsed 1m 05s");
    }

    @Test
    void theBaseRestoreShowsBytesWhenThereAreNoSegmentCountsYet() throws Exception {
        JsonNode view = JSON.readTree("""
                {"status": "RUNNING", "startedAt": null,
                 "progress": {"phase": "RESTORING_BASE", "segmentsApplied": null, "segmentsTotal": null,
                              "bytesRead": 1572864, "bytesTotal": 3221225472, "rowsApplied": null,
                              "rowsPerSecond": null, "etaSeconds": null}}
                """);
        assertThat(ProgressLine.format(view, NOW)).isEqualTo("RUNNING  restoring base  1.5 MiB/3.0 GiB");
    }

    @Test
    void aJobNoWorkerHasReportedOnYet() throws Exception {
        assertThat(ProgressLine.format(JSON.readTree("{\"status\": \"RUNNING\", \"progress\": null}"), NOW))
                .isEqualTo("RUNNING  starting");
        assertThat(ProgressLine.format(
                        JSON.readTree("{\"status\": \"QUEUED\", \"cancelRequested\": true, \"progress\": {}}"), NOW))
                .isEqualTo("QUEUED  waiting for a restore worker  (cancel requested)");
    }

    @Test
    void finishedJobsSayWhereTheyEndedOrWhy() throws Exception {
        JsonNode succeeded = JSON.readTree("""
                {"status": "SUCCEEDED", "startedAt": "2026-11-23T10:00:00Z", "finishedAt": "2026-11-23T10:02:03Z",
                 "restoredTo": {"lsn": "0/16B3748", "time": "2026-11-23T09:59:00.5+00:00"},
                 "progress": {"phase": "DONE", "rowsApplied": 1}}
                """);
        assertThat(ProgressLine.format(succeeded, NOW))
                .isEqualTo("SUCCEEDED  restored to 0/16B3748 (2026-11-23T09:59:00.500Z)  1 row  in 2m 03s");

        JsonNode failed = JSON.readTree("""
                {"status": "FAILED", "error": "target database is not empty", "restoredTo": null,
                 "progress": {"phase": "VALIDATING"}}
                """);
        assertThat(ProgressLine.format(failed, NOW)).isEqualTo("FAILED  in validating: target database is not empty");

        JsonNode cancelled = JSON.readTree("{\"status\": \"CANCELLED\", \"cancelRequested\": true}");
        assertThat(ProgressLine.format(cancelled, NOW)).isEqualTo("CANCELLED");
    }
}
