package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.ProvisionException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A template's parts between {@code # archcore:begin NAME} and {@code # archcore:end NAME}: kept or left out. */
class TemplatePartsTest {
    static final String TEXT = String.join("\n",
            "#cloud-config",
            "# the header; it may name # archcore:begin fleet without starting a part",
            "",
            "write_files:",
            "  - path: /a",
            "  # archcore:begin fleet (anything may follow the name)",
            "  - path: /fleet/$NAME",
            "  # archcore:end fleet",
            "  - path: /b/$NAME",
            "");
    static final Map<String, Template.Value> VALUES = Map.of("NAME", Template.Value.of("x"));

    @Test
    void keptThePartIsRenderedWithoutItsMarkers() throws Exception {
        Template.Rendered r = new Template("t.yaml", TEXT).renderWithLines(VALUES);
        assertThat(r.text()).isEqualTo("#cloud-config\n\nwrite_files:\n  - path: /a\n  - path: /fleet/x\n  - path: /b/x\n");
        // each rendered line still points at its template line
        assertThat(r.templateLine(5)).isEqualTo(7);
        assertThat(r.templateLine(6)).isEqualTo(9);
    }

    @Test
    void leftOutThePartsLinesAreGoneAndTheRestKeepTheirLineNumbers() throws Exception {
        Template t = new Template("t.yaml", TEXT);
        assertThat(t.hasPart("fleet")).isTrue();
        assertThat(t.hasPart("other")).isFalse();
        Template without = t.without("fleet");
        Template.Rendered r = without.renderWithLines(VALUES);
        assertThat(r.text()).isEqualTo("#cloud-config\n\nwrite_files:\n  - path: /a\n  - path: /b/x\n");
        assertThat(r.templateLine(5)).isEqualTo(9);
        // a placeholder used only inside the part is not used any more
        assertThat(t.lineOf("NAME")).isEqualTo(7);
        assertThat(without.lineOf("NAME")).isEqualTo(9);
        // another part's name leaves this one in
        assertThat(t.without("other").render(VALUES)).contains("/fleet/x");
    }

    @Test
    void misplacedMarkersAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> new Template("t.yaml", TEXT.replace("  # archcore:end fleet\n", "")).render(VALUES))
                .isInstanceOf(ProvisionException.class)
                .hasMessage("t.yaml line 6: 'archcore:begin fleet' has no 'archcore:end fleet' after it: add one where the part ends.");
        assertThatThrownBy(() -> new Template("t.yaml", TEXT.replace("  # archcore:begin fleet (anything may follow the name)\n", ""))
                .without("fleet").render(VALUES))
                .isInstanceOf(ProvisionException.class)
                .hasMessage("t.yaml line 7: 'archcore:end fleet' without an 'archcore:begin fleet' before it: fix the "
                        + "marker's name or remove it.");
        assertThatThrownBy(() -> new Template("t.yaml", TEXT.replace("  - path: /fleet/$NAME\n",
                "  - path: /fleet/$NAME\n  # archcore:begin inner\n")).render(VALUES))
                .isInstanceOf(ProvisionException.class)
                .hasMessageStartingWith("t.yaml line 8: 'archcore:begin inner' inside the part 'fleet' begun on line 6: parts do not nest");
        assertThatThrownBy(() -> new Template("t.yaml", TEXT.replace("# archcore:end fleet", "# archcore:end flet")).render(VALUES))
                .isInstanceOf(ProvisionException.class)
                .hasMessageContaining("t.yaml line 8: 'archcore:end flet' without an 'archcore:begin flet' before it (the open part is 'fleet', begun on line 6)");
    }
}
