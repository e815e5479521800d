package io.recall.coordinator.catalog;

/** Names of the ShedLock locks that keep catalog maintenance on one coordinator at a time. */
public final class CatalogLocks {

    /**
     * Held by retention and by a catalog rebuild: a rebuild that listed storage before retention deleted from it would
     * otherwise record segments and backups that are gone.
     */
    public static final String MAINTENANCE = "catalog-maintenance";

    private CatalogLocks() {}
}
