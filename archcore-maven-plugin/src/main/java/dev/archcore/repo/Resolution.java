package dev.archcore.repo;

import java.util.List;
import java.util.Set;

/**
 * What to install, in pacman's install order (dependencies before their dependents, as {@code pacman -Sp}
 * prints it).
 *
 * @param packages the packages in install order
 * @param explicit names of the packages asked for (targets and group members); the others are dependencies
 * @param notes    decisions pacman makes without asking when run with --noconfirm (which provider, ignored
 *                 packages installed anyway, conflicting packages dropped, dependency cycles), for the build log
 */
public record Resolution(List<RepoPackage> packages, Set<String> explicit, List<String> notes) {
    public Resolution {
        packages = List.copyOf(packages);
        explicit = Set.copyOf(explicit);
        notes = List.copyOf(notes);
    }

    public boolean isExplicit(RepoPackage pkg) {
        return explicit.contains(pkg.name());
    }
}
