package dev.archcore.util;

/** Where engines report progress; the Maven adapters pass Maven's log, tests pass a collector. */
public interface Log {
    void info(String message);

    void warn(String message);

    default void debug(String message) {
    }

    Log NONE = new Log() {
        @Override
        public void info(String message) {
        }

        @Override
        public void warn(String message) {
        }
    };
}
