package io.recall.restore.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.errors.InvalidRequestException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableSelectionTest {

    @Test
    void unquotedNamesFoldToLowerCaseAndQuotedOnesAreExact() {
        TableSelection s = TableSelection.parse(List.of("Public.Orders", "\"Odd Schema\".*", "\"A.b\".\"C\"\"d\""));
        assertThat(s.matches("public", "orders")).isTrue();
        assertThat(s.matches("public", "Orders")).isFalse();
        assertThat(s.matches("public", "lines")).isFalse();
        assertThat(s.matches("Odd Schema", "anything")).isTrue();
        assertThat(s.matches("odd schema", "anything")).isFalse();
        assertThat(s.matches("A.b", "C\"d")).isTrue();
        assertThat(s.matches("public.orders")).isTrue();
        assertThat(s.matches("\"Odd Schema\".\"Weird \"\"T\"\"\"")).isTrue();
        assertThat(s.matches("\"A.b\".\"C\"\"d\"")).isTrue();
    }

    @Test
    void aQuotedStarIsATableNamedStar() {
        TableSelection s = TableSelection.parse(List.of("public.\"*\""));
        assertThat(s.matches("public", "*")).isTrue();
        assertThat(s.matches("public", "orders")).isFalse();
    }

    @Test
    void malformedPatternsAreRefusedWithWhatToDo() {
        assertThatThrownBy(() -> TableSelection.parse(List.of())).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> TableSelection.parse(List.of("orders")))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("schema.table");
        assertThatThrownBy(() -> TableSelection.parse(List.of("a.b.c"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> TableSelection.parse(List.of("\"open.b")))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("quote");
    }
}
