package io.recall.standalone.checker;

/**
 * A restored table (or sequence, or the schema) that does not equal the source at the checkpoint.
 *
 * @param checkpoint the checkpoint restored to
 * @param target the restore's target, as sent
 * @param table {@code schema.table}, {@code sequence <name>} or {@code (schema)}
 * @param expected the checkpoint's {@code count:md5} (or value)
 * @param actual the restored database's
 * @param missingRow a row (as text) the source had and the restore lacks, or null
 * @param extraRow a row the restore has and the source had not, or null
 * @param restore the restore's id and the database it wrote (kept for inspection)
 */
record Difference(
        int checkpoint,
        String target,
        String table,
        String expected,
        String actual,
        String missingRow,
        String extraRow,
        String restore) {}
