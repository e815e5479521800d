package io.recall.restore.replay;

import io.recall.testsupport.PgVersion;

/** {@link DdlReplayTest} on PostgreSQL 13, whose pgoutput has no logical messages: records travel as log rows. */
class DdlReplayPg13IT extends DdlReplayTest {
    DdlReplayPg13IT() {
        super(PgVersion.V13);
    }
}
