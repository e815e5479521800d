package io.recall.standalone.checker;

import java.security.SecureRandom;

/**
 * How big one checker run is, read from system properties so that one command can run it small (the defaults, part of
 * every build) or large ({@code -Dchecker.checkpoints=200 -Dchecker.restores=60 ...}).
 *
 * @param seed drives every random choice the checker makes: the plan (gaps, fault places, which checkpoints are
 *     restored to which kind of target) and each writer's operations and values. Writers run concurrently, so the
 *     interleaving of their transactions is not reproducible; rerunning a seed repeats the same plan and the same
 *     operation mix
 * @param checkpoints how many quiesced points are recorded
 * @param restores how many of them are restored (at most {@code checkpoints})
 * @param writers concurrent client threads
 * @param minGapMillis shortest workload stretch before a checkpoint
 * @param maxGapMillis longest workload stretch before a checkpoint
 * @param faults how many faults are injected while the writers run, taking the kinds of {@link Fault.Kind} in turn
 *     (each round of kinds in a random order)
 * @param restoreKills how many restores have their worker killed mid-job
 * @param restoreTimeoutSeconds how long one restore may take
 * @param schemaChanges whether a client changes the schema while the writers run ({@link Migrator}); the source role
 *     is then a superuser, so that Recall captures DDL with its event triggers (exactly). Without, the role is an
 *     ordinary owner, as on a managed service, and Recall's fallback DDL capture has nothing to do
 */
record CheckerSettings(
        long seed,
        int checkpoints,
        int restores,
        int writers,
        long minGapMillis,
        long maxGapMillis,
        int faults,
        int restoreKills,
        long restoreTimeoutSeconds,
        boolean schemaChanges) {

    CheckerSettings {
        if (checkpoints < 2) {
            throw new IllegalArgumentException("checker.checkpoints must be at least 2");
        }
        if (restores < 1 || restores > checkpoints) {
            throw new IllegalArgumentException("checker.restores must be between 1 and checker.checkpoints");
        }
        if (writers < 1 || minGapMillis < 0 || maxGapMillis < minGapMillis || faults < 0 || restoreKills < 0) {
            throw new IllegalArgumentException("bad checker settings: writers " + writers + ", gap " + minGapMillis
                    + ".." + maxGapMillis + " ms, faults " + faults);
        }
        if (faults > checkpoints - 2) {
            throw new IllegalArgumentException("checker.faults must leave two checkpoints without a fault");
        }
    }

    /** The kinds of fault injected while the writers run. */
    static final int WORKLOAD_FAULT_KINDS = (int) java.util.Arrays.stream(Fault.Kind.values())
            .filter(Fault.Kind::duringWorkload)
            .count();

    /** The settings the {@code checker.*} system properties give; a seed is drawn when none is given. */
    static CheckerSettings fromSystemProperties() {
        String seed = System.getProperty("checker.seed");
        int checkpoints = Integer.getInteger("checker.checkpoints", 10);
        // in every build each kind of fault once: the seven injected while the writers run, one restore worker kill
        return new CheckerSettings(
                seed == null || seed.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(seed.strip()),
                checkpoints,
                Integer.getInteger("checker.restores", 4),
                Integer.getInteger("checker.writers", 3),
                Long.getLong("checker.min-gap-ms", 1000),
                Long.getLong("checker.max-gap-ms", 3000),
                Integer.getInteger("checker.faults", Math.max(WORKLOAD_FAULT_KINDS, checkpoints / 8)),
                Integer.getInteger("checker.restore-kills", Math.max(1, checkpoints / 40)),
                Long.getLong("checker.restore-timeout-s", 600),
                Boolean.parseBoolean(
                        System.getProperty("checker.schema-changes", "true").strip()));
    }

    /** How to run exactly this again. */
    String rerun() {
        return "-Dchecker.seed=" + seed + " -Dchecker.checkpoints=" + checkpoints + " -Dchecker.restores=" + restores
                + " -Dchecker.writers=" + writers + " -Dchecker.faults=" + faults + " -Dchecker.restore-kills="
                + restoreKills + " -Dchecker.schema-changes=" + schemaChanges;
    }
}
