/** Base backups as storage holds them: the manifest the stream worker writes last and restore workers verify. */
package io.recall.common.backup;
