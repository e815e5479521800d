package io.recall.common.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.ddl.DdlRecord.TableState;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Installing and removing Recall's DDL capture on a real PostgreSQL: idempotent, and only Recall's own objects. */
class DdlCaptureIT {

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    @Test
    void installingTwiceAndRemovingPerPublicationLeavesOnlyWhatIsStillNeeded() throws Exception {
        String db = pg.createDatabase("ddlinstall");
        pg.execute(
                db,
                "CREATE TABLE t (id int PRIMARY KEY)",
                "CREATE FUNCTION public.noop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$",
                "CREATE EVENT TRIGGER users_own ON ddl_command_end WHEN TAG IN ('CREATE VIEW')"
                        + " EXECUTE FUNCTION public.noop()");
        try (Connection c = pg.connect(db)) {
            assertThat(DdlCapture.canInstall(c)).isTrue();
            DdlCapture.install(c, "pub_a", List.of(new DdlCapture.Pattern("public", null, false)));
            DdlCapture.install(c, "pub_a", List.of(new DdlCapture.Pattern("public", "t", false)));
            DdlCapture.install(c, "pub_b", List.of());
            assertThat(strings(c, "SELECT evtname FROM pg_event_trigger ORDER BY 1"))
                    .containsExactly(
                            "recall_ddl_command_end", "recall_ddl_sql_drop", "recall_ddl_table_rewrite", "users_own");
            assertThat(strings(
                            c,
                            "SELECT publication || ':' || schema_name || '.' || coalesce(table_name, '*')"
                                    + " FROM _recall.ddl_tables ORDER BY 1"))
                    .as("a second install replaces the patterns")
                    .containsExactly("pub_a:public.t");

            DdlCapture.remove(c, "pub_a");
            assertThat(strings(c, "SELECT publication FROM _recall.ddl_config")).containsExactly("pub_b");
            assertThat(strings(c, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'recall\\_ddl\\_%'"))
                    .containsExactly("3");

            DdlCapture.remove(c, "pub_b");
            assertThat(strings(c, "SELECT evtname FROM pg_event_trigger")).containsExactly("users_own");
            assertThat(strings(c, "SELECT count(*) FROM pg_namespace WHERE nspname = '_recall'"))
                    .containsExactly("0");
            DdlCapture.remove(c, "pub_b"); // nothing left: a no-op
            assertThat(strings(c, "SELECT count(*) FROM pg_class WHERE relname = 't'"))
                    .containsExactly("1");
        }
    }

    @Test
    void aRoleThatIsNotASuperuserReadsTheSameCatalogStateThroughATemporaryFunction() throws Exception {
        String db = pg.createDatabase("ddlstate");
        pg.createRole("ddl_reader", "pw", "LOGIN");
        pg.execute(
                db,
                "CREATE TABLE s (id int PRIMARY KEY, v text NOT NULL DEFAULT 'x', n numeric(8,2))",
                "INSERT INTO s VALUES (1)",
                "ALTER TABLE s ADD COLUMN at date DEFAULT '2026-01-02'",
                "GRANT USAGE ON SCHEMA public TO ddl_reader");
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement()) {
            st.execute("SET ROLE ddl_reader");
            assertThat(DdlCapture.canInstall(c)).isFalse();
            long oid;
            try (ResultSet rs = st.executeQuery("SELECT 'public.s'::regclass::oid")) {
                rs.next();
                oid = rs.getLong(1);
            }
            TableState s = (TableState) DdlCapture.catalogState(c, oid).orElseThrow();
            assertThat(s.schema()).isEqualTo("public");
            assertThat(s.columns()).extracting(DdlRecord.Column::name).containsExactly("id", "v", "n", "at");
            assertThat(s.columns().get(1).defaultExpr()).isEqualTo("'x'::text");
            assertThat(s.columns().get(2).type()).isEqualTo("numeric(8,2)");
            assertThat(s.columns().get(3).missing())
                    .as("the fast default older rows read")
                    .isEqualTo("2026-01-02");
            assertThat(s.constraints()).extracting(DdlRecord.Constraint::type).containsExactly("p");
            assertThat(DdlCapture.catalogState(c, 1)).isEmpty();
        }
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
