package dev.archcore.cluster;

import java.util.List;

/**
 * @param changed  false for a dry run, or when the same unit already ran on every machine
 * @param requests requests sent to fleet
 */
public record DeployResult(String unitName, String hash, List<Machine> machines, boolean changed, int requests) {
}
