package io.recall.cli.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CliProbeReportTextTest {

    @Test
    void checksInATableThenWhyAndFixForEachWarningAndFailure() throws Exception {
        var report = new ObjectMapper().readTree("""
                {"outcome": "FAIL", "probedAt": "2026-11-23T10:00:00Z", "serverVersion": "15.18",
                 "checks": [
                   {"id": "wal_level", "status": "PASS", "found": "logical", "why": "needed", "fix": null},
                   {"id": "role_replication", "status": "FAIL", "found": "role app has no REPLICATION",
                    "why": "a replication slot needs it", "fix": "ALTER ROLE app REPLICATION;"},
                   {"id": "max_slot_wal_keep_size", "status": "WARN", "found": "unlimited",
                    "why": "a stalled slot can fill the disk", "fix": null}]}
                """);
        assertThat(ProbeReportText.lines(report))
                .containsExactly(
                        "capability probe: FAIL (PostgreSQL 15.18, probed 2026-11-23T10:00:00Z)",
                        "  CHECK                   STATUS  FOUND",
                        "  wal_level               PASS    logical",
                        "  role_replication        FAIL    role app has no REPLICATION",
                        "  max_slot_wal_keep_size  WARN    unlimited",
                        "",
                        "role_replication FAIL: role app has no REPLICATION",
                        "  why: a replication slot needs it",
                        "  fix: ALTER ROLE app REPLICATION;",
                        "",
                        "max_slot_wal_keep_size WARN: unlimited",
                        "  why: a stalled slot can fill the disk");
    }
}
