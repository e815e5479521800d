package io.recall.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link BlobStore} contract: every backend's test extends this class and passes all of it unchanged. Abstract,
 * so JUnit runs it only through its subclasses ({@code LocalBlobStoreTest}, {@code S3BlobStoreIT}).
 */
abstract class BlobStoreContractTest {

    /** Odd write sizes, so writes straddle buffer and part boundaries. */
    private static final int[] WRITE_SIZES = {1, 7, 4093, 65_537, 1_000_003, 13, 262_147};

    protected BlobStore store;

    /** A new, empty store; called before each test, closed after it. */
    protected abstract BlobStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void putThenOpenReturnsTheSameBytes() throws IOException {
        byte[] content = randomBytes(10_000, 1);

        BlobInfo info = store.put("base/b1/manifest.json", content);

        assertThat(info.key()).isEqualTo("base/b1/manifest.json");
        assertThat(info.size()).isEqualTo(10_000);
        assertThat(readAll(store.open("base/b1/manifest.json"))).isEqualTo(content);
    }

    @Test
    void createStreamsSeveralMebibytesWrittenInOddSizedPieces() throws IOException {
        byte[] content = randomBytes(6 * 1024 * 1024 + 12_345, 2);

        BlobInfo info;
        try (BlobWriter writer = store.create("segments/big.avro")) {
            writeInOddPieces(writer, content);
            assertThat(writer.bytesWritten()).isEqualTo(content.length);
            info = writer.commit();
        }

        assertThat(info).extracting(BlobInfo::key, BlobInfo::size).containsExactly("segments/big.avro", (long)
                content.length);
        assertThat(store.stat("segments/big.avro"))
                .get()
                .extracting(BlobInfo::size)
                .isEqualTo((long) content.length);
        assertThat(readAll(store.open("segments/big.avro"))).isEqualTo(content);
    }

    @Test
    void contentIsInvisibleUntilCommit() throws IOException {
        byte[] content = randomBytes(300_000, 3);
        try (BlobWriter writer = store.create("pending/blob")) {
            writer.write(content);
            writer.flush();

            assertThat(store.exists("pending/blob")).isFalse();
            assertThat(store.stat("pending/blob")).isEmpty();
            assertThat(store.list("")).isEmpty();
            assertThat(store.list("pending/")).isEmpty();
            assertThatThrownBy(() -> store.open("pending/blob")).isInstanceOf(BlobNotFoundException.class);

            writer.commit();
        }
        assertThat(store.exists("pending/blob")).isTrue();
        assertThat(keys(store.list(""))).containsExactly("pending/blob");
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws IOException {
        try (BlobWriter writer = store.create("aborted/blob")) {
            writeInOddPieces(writer, randomBytes(2 * 1024 * 1024, 4));
        }

        assertThat(store.exists("aborted/blob")).isFalse();
        assertThat(store.list("")).isEmpty();
        assertThatThrownBy(() -> store.open("aborted/blob")).isInstanceOf(BlobNotFoundException.class);
    }

    @Test
    void anAbortedRewriteKeepsThePreviousContent() throws IOException {
        store.put("kept", bytes("version 1"));

        try (BlobWriter writer = store.create("kept")) {
            writer.write(bytes("version 2, never committed"));
        }

        assertThat(readAll(store.open("kept"))).isEqualTo(bytes("version 1"));
    }

    @Test
    void writingAKeyAgainReplacesItWhole() throws IOException {
        store.put("manifest", randomBytes(50_000, 5));
        byte[] second = bytes("short replacement");

        store.put("manifest", second);

        assertThat(readAll(store.open("manifest"))).isEqualTo(second);
        assertThat(store.stat("manifest")).get().extracting(BlobInfo::size).isEqualTo((long) second.length);

        byte[] third = randomBytes(1_500_000, 6);
        try (BlobWriter writer = store.create("manifest")) {
            writeInOddPieces(writer, third);
            writer.commit();
        }
        assertThat(readAll(store.open("manifest"))).isEqualTo(third);
        assertThat(keys(store.list(""))).containsExactly("manifest");
    }

    @Test
    void concurrentWritersOfOneKeyLeaveOneWholeVersion() throws Exception {
        byte[] first = filled(700_000, (byte) 'a');
        byte[] second = filled(900_000, (byte) 'b');
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<BlobInfo>> commits = new ArrayList<>();
            for (byte[] content : List.of(first, second)) {
                commits.add(pool.submit(() -> {
                    try (BlobWriter writer = store.create("contended")) {
                        writeInOddPieces(writer, content);
                        return writer.commit();
                    }
                }));
            }
            for (Future<BlobInfo> commit : commits) {
                commit.get();
            }
        }

        byte[] winner = readAll(store.open("contended"));
        assertThat(winner)
                .satisfiesAnyOf(
                        w -> assertThat(w).isEqualTo(first), w -> assertThat(w).isEqualTo(second));
    }

    @Test
    void openingAMissingKeyThrowsBlobNotFound() {
        assertThatThrownBy(() -> store.open("no/such/blob"))
                .isInstanceOfSatisfying(
                        BlobNotFoundException.class, e -> assertThat(e.key()).isEqualTo("no/such/blob"));
        assertThatThrownBy(() -> store.open("no/such/blob", 0, 10)).isInstanceOf(BlobNotFoundException.class);
        assertThatThrownBy(() -> store.open("no/such/blob", 0, 0)).isInstanceOf(BlobNotFoundException.class);
    }

    @Test
    void rangedReadsReturnTheRequestedSlice() throws IOException {
        byte[] content = randomBytes(1000, 7);
        store.put("ranged", content);

        assertThat(readAll(store.open("ranged", 100, 50))).isEqualTo(Arrays.copyOfRange(content, 100, 150));
        assertThat(readAll(store.open("ranged", 0, 1))).isEqualTo(Arrays.copyOfRange(content, 0, 1));
        assertThat(readAll(store.open("ranged", 999, 1))).isEqualTo(Arrays.copyOfRange(content, 999, 1000));
        assertThat(readAll(store.open("ranged", 990, 100)))
                .as("a range past the end is cut at the end")
                .isEqualTo(Arrays.copyOfRange(content, 990, 1000));
        assertThat(readAll(store.open("ranged", 0, Long.MAX_VALUE))).isEqualTo(content);
        assertThat(readAll(store.open("ranged", 1000, 10)))
                .as("starting at the end")
                .isEmpty();
        assertThat(readAll(store.open("ranged", 5000, 10)))
                .as("starting past the end")
                .isEmpty();
        assertThat(readAll(store.open("ranged", 5, 0))).isEmpty();
        assertThatThrownBy(() -> store.open("ranged", -1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.open("ranged", 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statReportsSizesAndModificationTime() throws IOException {
        Instant before = Instant.now().minus(Duration.ofMinutes(5));
        store.put("sizes/empty", new byte[0]);
        store.put("sizes/small", randomBytes(12_345, 8));
        try (BlobWriter writer = store.create("sizes/streamed-empty")) {
            writer.commit();
        }

        assertThat(store.stat("sizes/empty")).get().extracting(BlobInfo::size).isEqualTo(0L);
        assertThat(store.stat("sizes/streamed-empty"))
                .get()
                .extracting(BlobInfo::size)
                .isEqualTo(0L);
        BlobInfo small = store.stat("sizes/small").orElseThrow();
        assertThat(small.key()).isEqualTo("sizes/small");
        assertThat(small.size()).isEqualTo(12_345L);
        assertThat(small.lastModified()).isBetween(before, Instant.now().plus(Duration.ofMinutes(5)));
        assertThat(store.stat("sizes/missing")).isEmpty();
        assertThat(store.exists("sizes/missing")).isFalse();
        assertThat(readAll(store.open("sizes/empty"))).isEmpty();
    }

    @Test
    void listReturnsBlobsUnderAPrefixSortedByKey() {
        for (String key : List.of("seg/c/d", "other/z", "seg/b", "segx", "seg/a")) {
            store.put(key, bytes(key));
        }

        List<BlobInfo> underSeg = store.list("seg/");
        assertThat(keys(underSeg)).containsExactly("seg/a", "seg/b", "seg/c/d");
        assertThat(underSeg).extracting(BlobInfo::size).containsExactly(5L, 5L, 7L);
        assertThat(keys(store.list("seg")))
                .as("a plain string prefix")
                .containsExactly("seg/a", "seg/b", "seg/c/d", "segx");
        assertThat(keys(store.list("seg/c"))).containsExactly("seg/c/d");
        assertThat(keys(store.list("seg/c/d"))).containsExactly("seg/c/d");
        assertThat(keys(store.list(""))).containsExactly("other/z", "seg/a", "seg/b", "seg/c/d", "segx");
        assertThat(store.list("nothing/")).isEmpty();
        assertThat(store.list("seg/q")).isEmpty();
        assertThat(store.list("zzz")).isEmpty();
    }

    @Test
    void listFindsSegmentsInLsnOrder() {
        List<String> names = List.of(
                "sources/7/segments/00000001000000A0-00000001000000FF.avro",
                "sources/7/segments/0000000000016B37-00000000000FFFFF.avro",
                "sources/7/segments/0000000100000000-000000010000009F.avro",
                "sources/70/segments/0000000000000001-0000000000000002.avro");
        for (String name : names) {
            store.put(name, bytes(name));
        }

        assertThat(keys(store.list("sources/7/segments/")))
                .containsExactly(
                        "sources/7/segments/0000000000016B37-00000000000FFFFF.avro",
                        "sources/7/segments/0000000100000000-000000010000009F.avro",
                        "sources/7/segments/00000001000000A0-00000001000000FF.avro");
    }

    @Test
    void listReturnsMoreThanOneThousandBlobs() throws Exception {
        int count = 1100;
        // Written from several threads: the store is shared by all threads of a process.
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<BlobInfo>> puts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = String.format("many/k%05d", i);
                puts.add(pool.submit(() -> store.put(key, bytes(key))));
            }
            for (Future<BlobInfo> put : puts) {
                put.get();
            }
        }
        store.put("manyx", bytes("outside the prefix"));

        List<String> listed = keys(store.list("many/"));

        assertThat(listed).hasSize(count).isSorted().doesNotHaveDuplicates();
        assertThat(listed.get(0)).isEqualTo("many/k00000");
        assertThat(listed.get(count - 1)).isEqualTo("many/k01099");
        assertThat(store.list("many/k010")).hasSize(100);
        assertThat(store.list("")).hasSize(count + 1);
    }

    @Test
    void deleteIsIdempotent() {
        store.put("gone/blob", bytes("x"));
        store.put("gone/sibling", bytes("y"));

        store.delete("gone/blob");
        store.delete("gone/blob");
        store.delete("never/existed");

        assertThat(store.exists("gone/blob")).isFalse();
        assertThatThrownBy(() -> store.open("gone/blob")).isInstanceOf(BlobNotFoundException.class);
        assertThat(keys(store.list(""))).containsExactly("gone/sibling");
    }

    @Test
    void nestedKeysAreIndependentBlobs() throws IOException {
        store.put("sources/1/base/b7/base.tar", bytes("tar"));
        store.put("sources/1/base/b7/manifest.json", bytes("{}"));
        store.put("sources/1/base/b8/data/16384/2619", bytes("heap"));

        assertThat(keys(store.list("sources/1/base/b7/")))
                .containsExactly("sources/1/base/b7/base.tar", "sources/1/base/b7/manifest.json");
        assertThat(readAll(store.open("sources/1/base/b8/data/16384/2619"))).isEqualTo(bytes("heap"));
        assertThat(store.exists("sources/1/base/b8"))
                .as("a prefix is not a blob")
                .isFalse();
        assertThatThrownBy(() -> store.open("sources/1/base/b8")).isInstanceOf(BlobNotFoundException.class);

        store.delete("sources/1/base/b8/data/16384/2619");
        assertThat(keys(store.list("sources/1/")))
                .containsExactly("sources/1/base/b7/base.tar", "sources/1/base/b7/manifest.json");
        store.put("sources/1/base/b8/data/16384/2619", bytes("again"));
        assertThat(readAll(store.open("sources/1/base/b8/data/16384/2619"))).isEqualTo(bytes("again"));
    }

    @Test
    void aKeyBelowABlobDoesNotExist() {
        store.put("a/b", bytes("blob"));

        assertThat(store.exists("a/b/c")).isFalse();
        assertThat(store.stat("a/b/c")).isEmpty();
        assertThatThrownBy(() -> store.open("a/b/c")).isInstanceOf(BlobNotFoundException.class);
        assertThatThrownBy(() -> store.open("a/b/c", 1, 2)).isInstanceOf(BlobNotFoundException.class);
        store.delete("a/b/c");
        assertThat(store.list("a/b/c/")).isEmpty();
        assertThat(store.list("a/b/")).isEmpty();
        assertThat(keys(store.list("a/b"))).containsExactly("a/b");
    }

    @Test
    void invalidKeysAreRejectedBeforeTouchingStorage() {
        for (String key : List.of(
                "",
                "/abs",
                "a//b",
                "a/",
                "..",
                "a/../b",
                "./a",
                "a/.",
                "a\\b",
                "a\u0000b",
                ".recall-partial-x",
                "a/.recall-x")) {
            assertThatThrownBy(() -> store.put(key, bytes("x")))
                    .as("put %s", key)
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.create(key))
                    .as("create %s", key)
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.open(key)).as("open %s", key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.stat(key)).as("stat %s", key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(key))
                    .as("delete %s", key)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (String prefix : List.of("/abs", "../", "a/../", "a//")) {
            assertThatThrownBy(() -> store.list(prefix))
                    .as("list %s", prefix)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(store.list("")).isEmpty();
    }

    @Test
    void aWriterRefusesUseAfterCommitOrAbort() throws IOException {
        BlobWriter committed = store.create("once");
        committed.write(bytes("x"));
        committed.commit();
        assertThatThrownBy(() -> committed.write(1)).isInstanceOf(IOException.class);
        assertThatThrownBy(committed::commit).isInstanceOf(IllegalStateException.class);
        committed.close();
        assertThat(readAll(store.open("once"))).isEqualTo(bytes("x"));

        BlobWriter aborted = store.create("never");
        aborted.write(bytes("y"));
        aborted.close();
        assertThatThrownBy(() -> aborted.write(bytes("z"))).isInstanceOf(IOException.class);
        assertThatThrownBy(aborted::commit).isInstanceOf(IOException.class);
        assertThat(store.exists("never")).isFalse();
    }

    @Test
    void aClosedStoreRefusesWork() {
        store.put("before-close", bytes("x"));
        store.close();
        store.close();

        assertThatThrownBy(() -> store.put("after-close", bytes("x"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.open("before-close")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.list("")).isInstanceOf(IllegalStateException.class);
    }

    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // Small reads, so streams are exercised beyond a single readAllBytes call.
            byte[] chunk = new byte[8191];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** Writes {@code content} in pieces of varying odd sizes, with a single-byte write among them. */
    protected static void writeInOddPieces(BlobWriter writer, byte[] content) throws IOException {
        int offset = 0;
        int i = 0;
        while (offset < content.length) {
            int size = Math.min(WRITE_SIZES[i++ % WRITE_SIZES.length], content.length - offset);
            if (size == 1) {
                writer.write(content[offset]);
            } else {
                writer.write(content, offset, size);
            }
            offset += size;
        }
    }

    protected static List<String> keys(List<BlobInfo> infos) {
        return infos.stream().map(BlobInfo::key).toList();
    }

    private static byte[] filled(int size, byte value) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
