package io.recall.common.segment;

import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValue;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Test-data builder for change records with every field, union branch and operation a segment must give back, drawn
 * from a seeded {@link Random}: empty and missing arrays, nulls and empty strings, bytes, unchanged TOAST markers, large
 * value references and parts, truncates, logical messages, heartbeats and sequence snapshots, numbers at the ends of
 * their range, a relation id defined twice and one no chunk defines. Not a plausible stream: LSNs and times jump.
 */
final class ArbitraryChanges {

    private static final String[] PIECES = {
        "a",
        "Z",
        "0",
        "42",
        "-7",
        "12.50",
        " ",
        "\"",
        "\\",
        "\n",
        "\u0000",
        "é",
        "日本",
        "\uD83D\uDE00",
        "null",
        "2026-11-23 10:00:00.5"
    };

    private final SourceId source;
    private final Random random;
    private final List<RelationDef> relations = new ArrayList<>();
    private long epoch = 1;

    ArbitraryChanges(SourceId source, long seed) {
        this.source = source;
        this.random = new Random(seed);
        for (int id = 16_400; id < 16_405; id++) {
            relations.add(relation(id));
        }
        relations.add(relation(16_400)); // redefined: same id, other columns
        relations.add(relation(-2_000_000_000)); // OIDs above 2^31 are negative ints
    }

    List<ChangeEnvelope> records(int count) {
        List<ChangeEnvelope> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next());
        }
        return out;
    }

    ChangeEnvelope next() {
        if (random.nextInt(20) == 0) {
            epoch = random.nextBoolean() ? epoch + 1 : number();
        }
        Object body = switch (random.nextInt(10)) {
            case 0 -> new Heartbeat(number(), instant());
            case 1 -> new SequenceValues(number(), instant(), list(3, this::sequence));
            default -> chunk();
        };
        return new ChangeEnvelope(source.toString(), epoch, body);
    }

    private TransactionChunk chunk() {
        List<RelationDef> defined = list(4, () -> relations.get(random.nextInt(relations.size())));
        return new TransactionChunk(
                number(),
                number(),
                instant(),
                random.nextInt(3) == 0 ? random.nextInt() : random.nextInt(5),
                random.nextBoolean(),
                random.nextBoolean() ? 0L : number(),
                defined,
                list(6, () -> change(defined)),
                list(
                        3,
                        () -> new LargeValuePart(
                                random.nextInt(), random.nextBoolean(), random.nextInt(), random.nextInt(), text())));
    }

    private RowChange change(List<RelationDef> defined) {
        int relationId = defined.isEmpty() || random.nextInt(5) == 0
                ? (random.nextBoolean() ? 0 : random.nextInt())
                : defined.get(random.nextInt(defined.size())).getRelationId();
        return new RowChange(
                Op.values()[random.nextInt(Op.values().length)],
                relationId,
                random.nextInt(4) == 0 ? null : list(8, this::value),
                random.nextBoolean() ? null : list(8, this::value),
                random.nextBoolean(),
                list(3, random::nextInt),
                random.nextBoolean(),
                random.nextBoolean(),
                random.nextBoolean() ? null : text(),
                random.nextBoolean() ? null : bytes());
    }

    private Object value() {
        return switch (random.nextInt(7)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> bytes();
            case 3 -> new UnchangedToast();
            case 4 -> new LargeValueRef(random.nextInt(), number());
            default -> text();
        };
    }

    private SequenceValue sequence() {
        return new SequenceValue(text(), text(), number(), random.nextBoolean());
    }

    private RelationDef relation(int id) {
        return new RelationDef(
                id,
                text(),
                text(),
                List.of("d", "f", "i", "n").get(random.nextInt(4)),
                list(
                        6,
                        () -> new ColumnDef(
                                text(),
                                random.nextInt(),
                                random.nextInt(),
                                random.nextBoolean(),
                                random.nextBoolean() ? null : text())));
    }

    /** Small, large, negative and extreme: deltas between such numbers overflow. */
    private long number() {
        return switch (random.nextInt(6)) {
            case 0 -> Long.MIN_VALUE;
            case 1 -> Long.MAX_VALUE;
            case 2 -> random.nextInt(1000) - 500;
            default -> random.nextLong();
        };
    }

    /** Microsecond precision, as timestamp-micros keeps: before and after the epoch. */
    private Instant instant() {
        return Instant.ofEpochSecond(
                random.nextLong(-10_000_000_000L, 10_000_000_000L), random.nextInt(1_000_000) * 1000L);
    }

    private String text() {
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(5); i > 0; i--) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    private ByteBuffer bytes() {
        byte[] b = new byte[random.nextInt(6)];
        random.nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private <T> List<T> list(int maxSize, Supplier<T> item) {
        List<T> out = new ArrayList<>();
        for (int i = random.nextInt(maxSize + 1); i > 0; i--) {
            out.add(item.get());
        }
        return out;
    }
}
