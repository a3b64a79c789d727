package dev.archcore.repo;

/** A repository problem the user must fix; the message says what to do. */
public class RepoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RepoException(String message) {
        super(message);
    }

    public RepoException(String message, Throwable cause) {
        super(message, cause);
    }
}
