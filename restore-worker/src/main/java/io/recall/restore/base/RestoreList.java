package io.recall.restore.base;

import io.recall.common.ddl.DdlCapture;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a custom-format archive's table of contents ({@code pg_restore -l}) into what is restored before replay and
 * what only after it.
 *
 * <p>Before replay: schema, table data, sequences, primary keys, unique and other constraints and every index (replay
 * finds rows by their replica-identity index). After replay: everything that would act on replayed rows — foreign
 * keys (they would check, and reject rows a set-based flush writes in another order than the source did), triggers
 * including constraint triggers (they would fire and change or add rows the stream already holds), rules (they would
 * rewrite replay's statements), row security and policies (they could hide rows), event triggers (but never Recall's
 * own DDL capture triggers, {@code recall_ddl_*}, which stay out) — plus materialized
 * view data, so views are refreshed over the replayed rows rather than the dump's. Comments and security labels on
 * triggers, constraints, rules and policies go after replay too, since their object may not exist before; moving a
 * comment later is harmless, so the match on the entry's text is deliberately broad.
 *
 * <p>A list holds the selected entries as {@code pg_restore -l} printed them and every other entry commented out
 * with {@code ;}, which is the form {@code pg_restore -L} reads.
 */
record RestoreList(String beforeReplay, String afterReplay, int entriesBefore, int entriesAfter) {

    private static final Pattern ENTRY = Pattern.compile("^\\s*\\d+;\\s*\\d+\\s+\\d+\\s+(.*)$");
    private static final List<String> AFTER_REPLAY = List.of(
            "FK CONSTRAINT ",
            "TRIGGER ",
            "EVENT TRIGGER ",
            "RULE ",
            "POLICY ",
            "ROW SECURITY ",
            "MATERIALIZED VIEW DATA ");
    private static final String RECALL_EVENT_TRIGGER = "EVENT TRIGGER - " + DdlCapture.TRIGGER_NAME_PREFIX;
    private static final Pattern DEPENDENT_NOTE =
            Pattern.compile("^(COMMENT|SECURITY LABEL) .*\\b(TRIGGER|CONSTRAINT|RULE|POLICY) .*");

    static RestoreList split(String toc) {
        StringBuilder before = new StringBuilder();
        StringBuilder after = new StringBuilder();
        int nBefore = 0;
        int nAfter = 0;
        for (String line : toc.lines().toList()) {
            var m = ENTRY.matcher(line);
            if (!m.matches()) {
                before.append(line).append('\n');
                after.append(line).append('\n');
                continue;
            }
            if (m.group(1).startsWith(RECALL_EVENT_TRIGGER)) {
                // Recall's own DDL capture on the source: never recreated on a target (its functions are not dumped)
                before.append(';').append(line).append('\n');
                after.append(';').append(line).append('\n');
                continue;
            }
            if (afterReplay(m.group(1))) {
                after.append(line).append('\n');
                before.append(';').append(line).append('\n');
                nAfter++;
            } else {
                before.append(line).append('\n');
                after.append(';').append(line).append('\n');
                nBefore++;
            }
        }
        return new RestoreList(before.toString(), after.toString(), nBefore, nAfter);
    }

    /** {@code list} with every selected entry that {@code skip} accepts commented out. */
    static String without(String list, java.util.function.Predicate<String> skip) {
        StringBuilder out = new StringBuilder();
        for (String line : list.lines().toList()) {
            var m = ENTRY.matcher(line);
            if (m.matches() && !line.startsWith(";") && skip.test(m.group(1))) {
                out.append(';');
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private static boolean afterReplay(String entry) {
        for (String desc : AFTER_REPLAY) {
            if (entry.startsWith(desc)) {
                return true;
            }
        }
        return DEPENDENT_NOTE.matcher(entry).matches();
    }
}
