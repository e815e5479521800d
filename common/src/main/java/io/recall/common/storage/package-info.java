/**
 * The blob-store SPI through which every Recall component reads and writes durable files (base backups, change
 * segments, manifests), and its backends: a local file system ({@link io.recall.common.storage.StorageSettings#local})
 * and any S3-compatible object store ({@link io.recall.common.storage.StorageSettings#s3}).
 *
 * <p>Callers code against {@link io.recall.common.storage.BlobStore} and obtain one from
 * {@link io.recall.common.storage.BlobStores#open}. Every backend passes the same contract test
 * ({@code BlobStoreContractTest}); a guarantee stated on the SPI holds for all of them.
 */
package io.recall.common.storage;
