package dev.archcore.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One {@code Key=Value} line of a unit file under its {@code [Section]}, as fleet's API carries it. fleet leaves
 * empty fields out of its JSON ({@code omitempty}): a missing one is the empty string, as for fleet, so that the
 * hash of a unit read back from fleet is the hash fleet computed.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UnitOption(String section, String name, String value) {
    public UnitOption {
        section = section == null ? "" : section;
        name = name == null ? "" : name;
        value = value == null ? "" : value;
    }
}
