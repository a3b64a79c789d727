package dev.archcore.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One {@code Key=Value} line of a unit file under its {@code [Section]}, as fleet's API carries it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UnitOption(String section, String name, String value) {
}
