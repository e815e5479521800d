package io.recall.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.errors.RecallException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBlobStoreTest extends BlobStoreContractTest {

    @TempDir
    Path temp;

    private Path root;

    @Override
    protected BlobStore newStore() {
        root = temp.resolve("root");
        return BlobStores.open(StorageSettings.local(root));
    }

    @Test
    void keysThatWouldEscapeTheRootAreRejected() throws IOException {
        for (String key : List.of("../escape", "a/../../escape", "/tmp/escape", "a//../escape", "..\\escape")) {
            assertThatThrownBy(() -> store.put(key, bytes("x"))).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.create(key)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.open(key)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(key)).as(key).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);

        try (Stream<Path> everything = Files.walk(temp)) {
            assertThat(everything.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void blobsAreFilesUnderTheRootAndTheDeploymentPrefix() throws IOException {
        try (BlobStore prefixed = BlobStores.open(StorageSettings.local(root).withPrefix("/deploy/eu/"))) {
            prefixed.put("sources/1/segments/a.avro", bytes("segment"));

            assertThat(root.resolve("deploy/eu/sources/1/segments/a.avro")).hasBinaryContent(bytes("segment"));
            assertThat(keys(prefixed.list(""))).containsExactly("sources/1/segments/a.avro");
        }
        assertThat(keys(store.list(""))).containsExactly("deploy/eu/sources/1/segments/a.avro");
    }

    @Test
    void anAbortedWriteLeavesNoTemporaryFile() throws IOException {
        try (BlobWriter writer = store.create("sources/1/segments/x.avro")) {
            writer.write(randomBytes(1024 * 1024, 11));
            writer.flush();
            assertThat(temporaryFiles())
                    .as("the write goes to a temporary file")
                    .hasSize(1);
        }

        assertThat(temporaryFiles()).isEmpty();
        assertThat(regularFiles()).isEmpty();
    }

    @Test
    void temporaryFilesAreNeverListed() throws IOException {
        store.put("dir/done", bytes("done"));
        // One in progress and one left behind by a crashed process.
        Files.write(root.resolve("dir").resolve(LocalBlobStore.TEMP_PREFIX + "123456"), bytes("stale"));
        try (BlobWriter writer = store.create("dir/pending")) {
            writer.write(bytes("pending"));
            writer.flush();

            assertThat(temporaryFiles()).hasSize(2);
            assertThat(keys(store.list(""))).containsExactly("dir/done");
            assertThat(keys(store.list("dir/"))).containsExactly("dir/done");
            assertThat(keys(store.list("dir/.recall"))).isEmpty();
        }
    }

    @Test
    void committedFilesLeaveNoTemporaryFileBehind() throws IOException {
        store.put("a/b", bytes("one"));
        try (BlobWriter writer = store.create("a/c")) {
            writeInOddPieces(writer, randomBytes(3 * 1024 * 1024, 12));
            writer.commit();
        }

        assertThat(temporaryFiles()).isEmpty();
        assertThat(regularFiles()).containsExactlyInAnyOrder(root.resolve("a/b"), root.resolve("a/c"));
    }

    @Test
    void deleteRemovesDirectoriesItEmpties() {
        store.put("sources/1/base/b1/base.tar", bytes("tar"));
        store.put("sources/1/keep", bytes("keep"));

        store.delete("sources/1/base/b1/base.tar");

        assertThat(root.resolve("sources/1/base")).doesNotExist();
        assertThat(root.resolve("sources/1/keep")).exists();
        assertThat(root).isDirectory();
    }

    @Test
    void aStreamOpenedBeforeAReplacementReadsTheOldVersion() throws IOException {
        store.put("manifest", bytes("old content"));

        try (InputStream old = store.open("manifest")) {
            store.put("manifest", bytes("new"));

            assertThat(old.readAllBytes()).isEqualTo(bytes("old content"));
        }
        assertThat(readAll(store.open("manifest"))).isEqualTo(bytes("new"));
    }

    @Test
    void aKeyCannotBeBothABlobAndADirectoryOfBlobs() {
        store.put("a/b", bytes("blob"));

        assertThatThrownBy(() -> store.put("a/b/c", bytes("x")))
                .isInstanceOf(RecallException.class)
                .isNotInstanceOf(StorageException.class)
                .hasMessageContaining("a/b");
        assertThatThrownBy(() -> store.put("a", bytes("x")))
                .isInstanceOf(RecallException.class)
                .isNotInstanceOf(StorageException.class);
        assertThat(keys(store.list(""))).containsExactly("a/b");
        assertThat(temporaryFiles()).isEmpty();
    }

    private List<Path> regularFiles() {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private List<Path> temporaryFiles() {
        return regularFiles().stream()
                .filter(path -> path.getFileName().toString().startsWith(LocalBlobStore.TEMP_PREFIX))
                .toList();
    }
}
