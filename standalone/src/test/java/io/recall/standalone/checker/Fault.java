package io.recall.standalone.checker;

/**
 * One injected fault and what came of it.
 *
 * @param kind what was done
 * @param beforeCheckpoint the checkpoint whose workload stretch it was injected in
 * @param detail what happened, for the report
 * @param recovered whether capture was streaming again, durable past the fault, within the wait
 */
record Fault(Kind kind, int beforeCheckpoint, String detail, boolean recovered) {

    /** The kinds of fault the checker can inject without hooks in the product. */
    enum Kind {
        WALSENDER_TERMINATED("a", "pg_terminate_backend of the source's walsender while the writers run"),
        OPEN_TRANSACTION_ACROSS_WALSENDER_TERMINATION(
                "b",
                "a transaction (BEGIN + writes above logical_decoding_work_mem) left open while the walsender is"
                        + " terminated, a checkpoint taken while it is open, committed after");

        private final String letter;
        private final String description;

        Kind(String letter, String description) {
            this.letter = letter;
            this.description = description;
        }

        String letter() {
            return letter;
        }

        String description() {
            return description;
        }
    }
}
