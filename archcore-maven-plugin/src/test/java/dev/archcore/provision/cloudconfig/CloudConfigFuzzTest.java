package dev.archcore.provision.cloudconfig;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for user data (a project's cloud-config template after rendering): coreos-cloudinit's validator,
 * then the lockdown lint on the same YAML. Any text must come back as findings or a YAML syntax error, never
 * as an exception. Seeds in CloudConfigFuzzTestInputs/ are the node files archcore renders; bench/fuzz.sh
 * fuzzes the target.
 */
@Timeout(10)
class CloudConfigFuzzTest {

    @FuzzTest
    void userData(byte[] data) {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        String text = new String(data, StandardCharsets.UTF_8);
        assertThat(CloudConfigValidator.validate(text)).doesNotContainNull();
        FuzzRules.onlyClearErrors(() -> assertThat(LockdownLint.check(YamlNode.parse(text), 2222, Set.of()))
                .doesNotContainNull(), YamlNode.SyntaxError.class);
    }
}
