package dev.diskimage.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.DoubleConsumer;

/**
 * A one-line progress bar on standard error, redrawn with {@code \r}, only when standard error
 * is a terminal: in a pipe or a log file it would be noise.
 */
final class ProgressBar implements DoubleConsumer {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private int shown = -1;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    /** Whether this process's standard error is a terminal (Linux: fd 2 links to a tty device). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public synchronized void accept(double percent) {
        int whole = (int) Math.max(0, Math.min(100, Math.floor(percent)));
        if (whole == shown) {
            return;
        }
        shown = whole;
        int filled = whole * WIDTH / 100;
        err.print(String.format(Locale.ROOT, "\r[%s%s] %3d%%", "#".repeat(filled), " ".repeat(WIDTH - filled), whole));
        err.flush();
    }

    /** Ends the bar's line, if one was drawn. */
    synchronized void finish() {
        if (shown >= 0) {
            err.println();
        }
    }
}
