package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import io.recall.worker.capture.pgoutput.Begin;
import io.recall.worker.capture.pgoutput.ColumnValue;
import io.recall.worker.capture.pgoutput.Commit;
import io.recall.worker.capture.pgoutput.Insert;
import io.recall.worker.capture.pgoutput.Relation;
import io.recall.worker.capture.pgoutput.TupleData;
import io.recall.worker.capture.pgoutput.Update;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransactionAssemblerTest {

    private final List<TransactionAssembler.Emitted> out = new ArrayList<>();
    private final TransactionAssembler assembler = new TransactionAssembler(SourceId.random(), 7, 4096, out::add);
    private final Relation docs = new Relation(
            16384,
            "public",
            "docs",
            'd',
            List.of(new Relation.Column(true, "id", 23, -1), new Relation.Column(false, "body", 25, -1)));

    private static TupleData row(ColumnValue... values) {
        return new TupleData(List.of(values));
    }

    private static TransactionChunk chunk(TransactionAssembler.Emitted e) {
        return (TransactionChunk) e.envelope().getBody();
    }

    @Test
    void smallTransactionIsOneChunkAndConfirmsAtItsEnd() {
        Instant at = Instant.parse("2026-11-25T10:00:00.123456Z");
        assembler.accept(docs);
        assembler.accept(new Begin(Lsn.parse("0/16B3748"), at, 900));
        assembler.accept(new Insert(16384, row(new ColumnValue.Text("1"), new ColumnValue.Text("hello"))));
        assertThat(assembler.inTransaction()).isTrue();
        assembler.accept(new Commit(0, Lsn.parse("0/16B3748"), Lsn.parse("0/16B3778"), at));

        assertThat(out).hasSize(1);
        TransactionAssembler.Emitted e = out.getFirst();
        assertThat(e.lastOfTransaction()).isTrue();
        assertThat(e.endLsn()).isEqualTo(Lsn.parse("0/16B3778"));
        TransactionChunk c = chunk(e);
        assertThat(c.getXid()).isEqualTo(900);
        assertThat(c.getCommitLsn()).isEqualTo(Lsn.parse("0/16B3748").value());
        assertThat(c.getCommitTime()).isEqualTo(at);
        assertThat(c.getRelations())
                .singleElement()
                .satisfies(r -> assertThat(r.getTable()).isEqualTo("docs"));
        assertThat(c.getChanges().getFirst().getNewValues()).containsExactly("1", "hello");
        assertThat(e.envelope().getCaptureEpoch()).isEqualTo(7);
    }

    @Test
    void largeTransactionIsChunkedAsItArrivesAndOnlyTheLastChunkConfirms() {
        assembler.accept(docs);
        assembler.accept(new Begin(Lsn.parse("1/0"), Instant.EPOCH, 1));
        for (int i = 0; i < 500; i++) {
            assembler.accept(
                    new Insert(16384, row(new ColumnValue.Text("" + i), new ColumnValue.Text("x".repeat(100)))));
        }
        int beforeCommit = out.size();
        assertThat(beforeCommit).as("chunks leave before the commit arrives").isGreaterThan(5);
        assembler.accept(new Commit(0, Lsn.parse("1/0"), Lsn.parse("1/40"), Instant.EPOCH));

        assertThat(out.stream().filter(TransactionAssembler.Emitted::lastOfTransaction))
                .hasSize(1);
        assertThat(out.getLast().lastOfTransaction()).isTrue();
        for (int i = 0; i < out.size(); i++) {
            assertThat(chunk(out.get(i)).getChunkIndex()).isEqualTo(i);
            assertThat(out.get(i).approximateBytes()).isLessThanOrEqualTo(4096);
            assertThat(chunk(out.get(i)).getRelations()).isNotEmpty();
        }
        assertThat(out.stream().mapToInt(e -> chunk(e).getChanges().size()).sum())
                .isEqualTo(500);
    }

    @Test
    void valueLargerThanAChunkTravelsInPartsBeforeItsChange() {
        String big = "é".repeat(10_000);
        assembler.accept(docs);
        assembler.accept(new Begin(Lsn.parse("2/0"), Instant.EPOCH, 2));
        assembler.accept(new Insert(16384, row(new ColumnValue.Text("1"), new ColumnValue.Text(big))));
        assembler.accept(new Update(16384, null, null, row(new ColumnValue.Text("1"), ColumnValue.UNCHANGED_TOAST)));
        assembler.accept(new Commit(0, Lsn.parse("2/0"), Lsn.parse("2/40"), Instant.EPOCH));

        List<LargeValuePart> parts = out.stream()
                .flatMap(e -> chunk(e).getLargeValueParts().stream())
                .toList();
        assertThat(parts.size()).isGreaterThan(1);
        assertThat(parts.stream().map(LargeValuePart::getText).reduce("", String::concat))
                .isEqualTo(big);
        assertThat(parts).allSatisfy(p -> assertThat(p.getText().length() * 3).isLessThanOrEqualTo(4096));
        TransactionChunk withChange = out.stream()
                .map(TransactionAssemblerTest::chunk)
                .filter(c -> !c.getChanges().isEmpty())
                .findFirst()
                .orElseThrow();
        Object ref = withChange.getChanges().getFirst().getNewValues().get(1);
        assertThat(ref).isInstanceOf(LargeValueRef.class);
        assertThat(((LargeValueRef) ref).getParts()).isEqualTo(parts.size());
        assertThat(((LargeValueRef) ref).getLength()).isEqualTo(big.length());
        Object unchanged = out.stream()
                .flatMap(e -> chunk(e).getChanges().stream())
                .filter(c -> c.getOp() == Op.UPDATE)
                .findFirst()
                .orElseThrow()
                .getNewValues()
                .get(1);
        assertThat(unchanged).isInstanceOf(UnchangedToast.class).isNotNull();
    }

    @Test
    void protocolViolationsAreErrorsNotSilentSkips() {
        assertThatThrownBy(() -> assembler.accept(new Insert(1, row(new ColumnValue.Text("1")))))
                .hasMessageContaining("outside a transaction");
        assembler.accept(new Begin(Lsn.parse("3/0"), Instant.EPOCH, 3));
        assertThatThrownBy(() -> assembler.accept(new Insert(99, row(new ColumnValue.Text("1")))))
                .hasMessageContaining("before its Relation message");
        assertThatThrownBy(() -> assembler.accept(new Commit(0, Lsn.parse("3/8"), Lsn.parse("3/40"), Instant.EPOCH)))
                .hasMessageContaining("does not match");
    }
}
