package dev.archcore.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** fleet API v1 {@code Unit}: desired and current state are {@code inactive}, {@code loaded} or {@code launched}. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record FleetUnit(String name, List<UnitOption> options, String desiredState, String currentState, String machineID) {
    public FleetUnit {
        options = options == null ? List.of() : List.copyOf(options);
    }

    /** fleet's hash of this unit's options (what each machine's unit state reports). */
    public String hash() {
        return UnitFile.hash(options);
    }
}
