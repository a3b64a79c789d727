package dev.archcore.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** fleet API v1 {@code UnitState}: one unit on one machine, as that machine's agent last reported it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UnitState(String name, String hash, String machineID, String systemdLoadState, String systemdActiveState,
                        String systemdSubState) {
    public boolean running() {
        return "active".equals(systemdActiveState) && "running".equals(systemdSubState);
    }

    public boolean failed() {
        return "failed".equals(systemdActiveState);
    }

    /** {@code load/active/sub}, as fleetctl list-units shows it. */
    public String describe() {
        return systemdLoadState + "/" + systemdActiveState + "/" + systemdSubState;
    }
}
