package io.recall.testsupport;

/**
 * PostgreSQL server versions that {@link PostgresCluster} can start.
 *
 * <p>{@link #SYSTEM} is the server installed on the machine ({@code pg_config --bindir}); the numbered versions use
 * that same installation when its major matches and otherwise a server bundle packaged inside this library (13, 14,
 * 16 and 17 are packaged for Linux x86-64). Thread-safe.
 */
public enum PgVersion {
    SYSTEM(0),
    V13(13),
    V14(14),
    V15(15),
    V16(16),
    V17(17);

    private final int fixedMajor;

    PgVersion(int fixedMajor) {
        this.fixedMajor = fixedMajor;
    }

    /**
     * The major version number, e.g. 15. For {@link #SYSTEM} it is read from {@code pg_config --version}.
     *
     * @throws IllegalStateException for {@link #SYSTEM} when no PostgreSQL installation is found
     */
    public int major() {
        return this == SYSTEM ? SystemPostgres.require().major() : fixedMajor;
    }

    /** Whether this version runs on the installed server rather than on a packaged bundle. */
    boolean usesSystemServer() {
        if (this == SYSTEM) {
            return true;
        }
        return SystemPostgres.detect()
                .map(system -> system.major() == fixedMajor)
                .orElse(false);
    }
}
