package dev.archcore.repo;

import java.util.List;

/**
 * Packages or databases that could not be had: one line per problem, each naming the package or repository, the
 * URLs tried and what to do.
 */
public final class FetchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public FetchException(String summary, List<String> problems) {
        super(problems.size() == 1 && summary.isEmpty() ? problems.get(0)
                : summary + (problems.isEmpty() ? "" : "\n  " + String.join("\n  ", problems)));
        this.problems = List.copyOf(problems);
    }

    public FetchException(String problem) {
        this("", List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
