package dev.diskimage.cli;

/**
 * The command line's logging switch: the library logs through SLF4J, bound here to
 * slf4j-simple on stderr. Quiet by default (warnings only); {@code --verbose} shows the
 * library's debug log. Takes effect only before the first logger is created, which is why the
 * command turns it on before touching the library.
 */
final class Logging {
    private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Logging() {
    }

    /** Warnings only, unless the user configured the level with a system property. */
    static void quietByDefault() {
        if (System.getProperty(DEFAULT_LEVEL) == null) {
            System.setProperty(DEFAULT_LEVEL, "warn");
        }
    }

    /** Debug logging of the whole library. */
    static void enableDebug() {
        System.setProperty(DEFAULT_LEVEL, "debug");
    }
}
