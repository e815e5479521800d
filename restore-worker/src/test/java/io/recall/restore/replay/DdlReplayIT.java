package io.recall.restore.replay;

import io.recall.testsupport.PgVersion;

/** {@link DdlReplayTest} on the installed server (PostgreSQL 15): DDL records travel as logical messages. */
class DdlReplayIT extends DdlReplayTest {
    DdlReplayIT() {
        super(PgVersion.SYSTEM);
    }
}
