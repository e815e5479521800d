package io.recall.standalone.checker;

import io.recall.common.Lsn;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The source as it was at one quiesced moment: no writer was inside a transaction (a fault's open transaction may be,
 * and is then not part of it).
 *
 * @param index position in the run, from 0
 * @param restorePoint the name of the REST restore point created at that moment
 * @param restorePointLsn the LSN Recall answered for it
 * @param walLsn {@code pg_current_wal_lsn()} read by the checker after it
 * @param time {@code clock_timestamp()} read by the checker after it: every transaction before has a commit time
 *     before it, every later one after it
 * @param tables {@link io.recall.testsupport.DatabaseSnapshot#data} of the source
 * @param sequences every sequence's {@code last_value}
 * @param rows where the checker kept every table's rows as text (for sample rows of a difference), or null when this
 *     checkpoint was not planned for a restore
 * @param schema {@link io.recall.testsupport.DatabaseSnapshot#schema} of the source (the workload changes it), or null
 *     when this checkpoint was not planned for a restore
 * @param note what was special about this moment, or null
 */
record Checkpoint(
        int index,
        String restorePoint,
        Lsn restorePointLsn,
        Lsn walLsn,
        Instant time,
        Map<String, String> tables,
        Map<String, Long> sequences,
        Path rows,
        String schema,
        String note) {}
