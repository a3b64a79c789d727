package dev.archcore.repo;

import java.util.List;

/** The targets cannot be installed; the message says why, with the chain of dependencies that leads there. */
public class ResolutionException extends RuntimeException {

    /** What went wrong, matching the ways {@code pacman -S} gives up. */
    public enum Kind {
        /** "target not found" */
        TARGET_NOT_FOUND,
        /** "database not found" for a {@code repo/name} target */
        REPOSITORY_NOT_FOUND,
        /** "duplicate target": two different packages of one name were asked for */
        DUPLICATE_TARGET,
        /** "package architecture is not valid" */
        INVALID_ARCHITECTURE,
        /** "could not satisfy dependencies" */
        UNSATISFIED_DEPENDENCY,
        /** "conflicting dependencies" */
        CONFLICT
    }

    private final Kind kind;
    private final List<String> problems;

    public ResolutionException(Kind kind, String summary, List<String> problems) {
        super(summary + (problems.isEmpty() ? "" : ":\n  " + String.join("\n  ", problems)));
        this.kind = kind;
        this.problems = List.copyOf(problems);
    }

    public Kind kind() {
        return kind;
    }

    /** One line per problem, each naming the packages involved. */
    public List<String> problems() {
        return problems;
    }
}
