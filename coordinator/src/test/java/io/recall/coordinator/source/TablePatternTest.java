package io.recall.coordinator.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;

class TablePatternTest {

    @Test
    void unquotedFoldsToLowerCaseLikePostgres() {
        TablePattern p = TablePattern.parse("Public.Orders");
        assertThat(p).isEqualTo(new TablePattern("public", "orders"));
        assertThat(p.matches(new TableName("public", "orders"))).isTrue();
        assertThat(p.matches(new TableName("public", "Orders"))).isFalse();
    }

    @Test
    void quotedPartsAreLiteralAndMayHoldDots() {
        TablePattern p = TablePattern.parse("\"My.Schema\".\"Odd\"\"Name\"");
        assertThat(p).isEqualTo(new TablePattern("My.Schema", "Odd\"Name"));
        assertThat(new TableName("My.Schema", "Odd\"Name").toString()).isEqualTo("\"My.Schema\".\"Odd\"\"Name\"");
        assertThat(TableName.parse(new TableName("My.Schema", "Odd\"Name").toString()))
                .isEqualTo(new TableName("My.Schema", "Odd\"Name"));
    }

    @Test
    void wildcardMatchesAWholeSchema() {
        TablePattern p = TablePattern.parse("sales.*");
        assertThat(p.isWildcard()).isTrue();
        assertThat(p.matches(new TableName("sales", "x"))).isTrue();
        assertThat(p.matches(new TableName("public", "x"))).isFalse();
        assertThat(p).hasToString("sales.*");
        assertThat(TablePattern.parse("sales.\"*\"").isWildcard()).isFalse();
    }

    @Test
    void malformedEntriesSayWhatIsExpected() {
        assertThatThrownBy(() -> TablePattern.parse("orders"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("schema.table");
        assertThatThrownBy(() -> TablePattern.parse("a.b.c")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> TablePattern.parse("\"open.b")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> TablePattern.parse(" ")).isInstanceOf(InvalidRequestException.class);
    }
}
