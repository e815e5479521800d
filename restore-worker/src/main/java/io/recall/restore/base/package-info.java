/**
 * Restoring a base backup (a {@code pg_dump} custom-format archive plus its manifest) into a target database:
 * checksums first, then everything replay needs (schema, data, keys, indexes), and after replay what would act on
 * replayed rows (foreign keys, triggers, rules, policies, materialized view data). See
 * {@link io.recall.restore.base.BaseRestorer}.
 */
package io.recall.restore.base;
