package dev.archcore.cluster;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target for fleet's answers as the HTTP/1.1 client reads them from the SSH channel: the first byte picks
 * the call, the rest is what the server sent back (status line, headers, a Content-Length, chunked or
 * until-close body, possibly several responses for a paged list). Seeds in FleetFuzzTestInputs/ are fleet API
 * answers; bench/fuzz.sh fuzzes the target.
 */
@Timeout(10)
class FleetFuzzTest {

    @FuzzTest
    void fleetAnswer(byte[] data) {
        if (data.length == 0 || data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        byte[] answer = Arrays.copyOfRange(data, 1, data.length);
        InputStream in = new ByteArrayInputStream(answer);
        // every (re)connection reads on in the same bytes: a server that keeps sending pages runs out of input
        StreamConnection connection = new StreamConnection() {
            @Override
            public InputStream in() {
                return in;
            }

            @Override
            public OutputStream out() {
                return OutputStream.nullOutputStream();
            }

            @Override
            public void close() {
            }
        };
        try (FleetClient fleet = new FleetClient(new StreamHttpClient(() -> connection, "fleet"), "fuzz")) {
            FuzzRules.onlyClearErrors(() -> {
                switch (Byte.toUnsignedInt(data[0]) % 6) {
                    case 0 -> fleet.units();
                    case 1 -> fleet.unit("app@1.service");
                    case 2 -> fleet.machines();
                    case 3 -> fleet.states(null, "app@1.service");
                    case 4 -> fleet.destroy("app@1.service");
                    default -> fleet.create("app@1.service", List.of(new UnitOption("Service", "ExecStart", "/bin/app")),
                            "launched");
                }
            }, ClusterException.class);
        }
    }
}
